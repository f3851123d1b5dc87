"""The cycle-count queue: where it stands, where the value is, and what the counts found."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboards.theme import (
    BAD,
    GRID,
    HEIGHT,
    base_figure,
    category_colours,
    counted,
    empty_figure,
)

NO_REQUESTS = "No cycle-count requests for the selected locations."


def _labels(requests: pl.DataFrame) -> list[str]:
    """The label "request · location" of each row."""
    return [
        f"{request} · {location}"
        for request, location in zip(
            requests["request_id"].to_list(), requests["location_id"].to_list(), strict=True
        )
    ]


def cycle_count_status(requests: pl.DataFrame) -> go.Figure:
    title = "Where does the cycle-count queue stand?"
    if requests.is_empty():
        return empty_figure(title, NO_REQUESTS)
    counts = requests.group_by("status").agg(requests=pl.len()).sort("requests", descending=True)
    colours = category_colours("status", counts["status"].to_list())
    figure = base_figure(title, f"{counted(requests.height, 'request')} by status")
    figure.add_bar(
        x=counts["status"].to_list(),
        y=counts["requests"].to_list(),
        marker={"color": list(colours.values())},
        text=counts["requests"].to_list(),
        textposition="auto",
        showlegend=False,
    )
    figure.update_yaxes(title_text="requests")
    return figure


def cycle_count_value_at_stake(requests: pl.DataFrame, top: int = 20) -> go.Figure:
    """Expected discrepancy value per request (the count's payoff), open ones first."""
    title = "Where is the most value at stake?"
    if requests.is_empty():
        return empty_figure(title, NO_REQUESTS)
    rows = requests.with_columns(pl.col("expected_discrepancy_value").fill_null(0.0)).sort(
        "expected_discrepancy_value", descending=True
    )
    shown = rows.head(top)
    figure = base_figure(
        title,
        f"Expected discrepancy value at cost per request, top {shown.height} · total "
        f"{rows['expected_discrepancy_value'].sum():,.0f}",
        height=max(HEIGHT, 22 * shown.height + 110),
    )
    colours = category_colours("status", sorted(set(shown["status"].to_list())))
    for status, colour in colours.items():
        part = shown.filter(pl.col("status") == status).reverse()
        figure.add_bar(
            name=status,
            orientation="h",
            x=part["expected_discrepancy_value"].to_list(),
            y=_labels(part),
            marker={"color": colour},
            # the reason to hover, the request to drill by (the row's last item)
            customdata=part.select("reason", "request_id").rows(),
            hovertemplate="%{y}: %{x:,.0f}<br>%{customdata[0]}<extra></extra>",
        )
    figure.update_yaxes(type="category", categoryorder="array", categoryarray=_labels(shown)[::-1])
    figure.update_xaxes(title_text="value at cost", showgrid=True, gridcolor=GRID)
    return figure


def cycle_count_results(requests: pl.DataFrame, top: int = 25) -> go.Figure:
    title = "Did the counts find what the risk model expected?"
    requests_back = requests.filter(pl.col("skus_counted").fill_null(0) > 0)
    if requests_back.is_empty():
        return empty_figure(title, "No counts have come back for these requests yet.")
    rows = requests_back.sort("counted_at", descending=True).head(top)
    inaccurate = requests_back["skus_inaccurate"].sum()
    skus = requests_back["skus_counted"].sum()
    figure = base_figure(
        title,
        f"{counted(requests_back.height, 'counted request')} · {inaccurate:,} of "
        f"{counted(skus, 'counted SKU')} off ({inaccurate / skus:.0%})",
    )
    labels, requests = _labels(rows), rows["request_id"].to_list()
    figure.add_bar(
        name="expected discrepancy value",
        x=labels,
        y=rows["expected_discrepancy_value"].to_list(),
        marker={"color": GRID},
        customdata=requests,  # what a bar drills by
    )
    figure.add_bar(
        name="found discrepancy value",
        x=labels,
        y=rows["value_corrected"].to_list(),
        marker={"color": BAD},
        customdata=requests,
    )
    figure.update_layout(barmode="group")
    figure.update_yaxes(title_text="value at cost")
    figure.update_xaxes(type="category", tickangle=-30)
    return figure
