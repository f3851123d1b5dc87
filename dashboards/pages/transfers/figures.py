"""Transfers: which lanes arrive short or slow, and whether a shipping location gets worse."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboards.charts import by_category, dumbbell, ranked_keys
from dashboards.theme import (
    ACCENT,
    BAD,
    GRID,
    HEIGHT,
    TOP_N,
    base_figure,
    counted,
    empty_figure,
)

NO_TRANSFERS = "No completed transfers for the selected filters."


def _lane_labels(lanes: pl.DataFrame) -> pl.DataFrame:
    return lanes.with_columns(lane=pl.col("origin") + " → " + pl.col("destination"))


def lane_accuracy(lanes: pl.DataFrame, top: int = TOP_N, min_lines: int = 3) -> go.Figure:
    title = "Which lanes arrive short?"
    if lanes.is_empty():
        return empty_figure(title, NO_TRANSFERS)
    overall = lanes["in_full"].sum() / lanes["lines"].sum()
    eligible = lanes.filter(pl.col("lines") >= min_lines)
    eligible = eligible if not eligible.is_empty() else lanes
    worst = _lane_labels(eligible).sort(["accuracy", "lines"], descending=[False, True]).head(top)
    figure = base_figure(
        title,
        f"Share of lines received in full, worst {counted(worst.height, 'lane')} "
        f"(≥{min_lines} lines) · overall {overall:.1%}",
        height=max(HEIGHT, 26 * worst.height + 110),
    )
    rows = worst.reverse()
    figure.add_bar(
        x=rows["accuracy"].to_list(),
        y=rows["lane"].to_list(),
        orientation="h",
        marker={"color": [BAD if a < overall else ACCENT for a in rows["accuracy"].to_list()]},
        text=[
            f"{a:.0%} of {n}"
            for a, n in zip(rows["accuracy"].to_list(), rows["lines"].to_list(), strict=True)
        ],
        textposition="auto",
        customdata=[counted(n, "unit") for n in rows["short_units"].to_list()],
        hovertemplate="%{y}<br>%{x:.1%} in full<br>%{customdata} short<extra></extra>",
        showlegend=False,
    )
    figure.update_xaxes(tickformat=".0%", range=[0, 1], showgrid=True, gridcolor=GRID)
    figure.update_yaxes(type="category", showgrid=False)
    return figure


def lane_cycle_time(lanes: pl.DataFrame, top: int = TOP_N) -> go.Figure:
    title = "Which lanes take longest?"
    if lanes.is_empty():
        return empty_figure(title, NO_TRANSFERS)
    slowest = _lane_labels(lanes).sort("cycle_p95_h", descending=True, nulls_last=True).head(top)
    return dumbbell(
        slowest,
        "lane",
        "cycle_p50_h",
        "cycle_p95_h",
        title,
        f"Shipped → received, hours: p50 (blue) to p95 (red), slowest "
        f"{counted(slowest.height, 'lane')}",
        "h",
        "lines",
        "line",
    )


def accuracy_by_origin(daily: pl.DataFrame, top: int = 6) -> go.Figure:
    """Daily accuracy of the `top` busiest shipping locations; the rest pooled as one line."""
    title = "Is one shipping location getting worse?"
    if daily.is_empty():
        return empty_figure(title, NO_TRANSFERS)
    busiest = ranked_keys(daily, "origin", "lines", top)
    pooled = (
        daily.with_columns(
            origin=pl.when(pl.col("origin").is_in(busiest))
            .then(pl.col("origin"))
            .otherwise(pl.lit("other origins")),
            in_full=pl.col("accuracy") * pl.col("lines"),
        )
        .group_by("shipment_date", "origin")
        .agg(pl.col("lines").sum(), pl.col("in_full").sum())
        .with_columns(accuracy=pl.col("in_full") / pl.col("lines"))
    )
    return by_category(
        pooled,
        "shipment_date",
        "accuracy",
        "origin",
        title,
        f"Daily share of lines received in full by origin (day of shipment), "
        f"the {counted(len(busiest), 'busiest origin')}",
        lines=True,
        y_title="received in full",
        y_format=".0%",
    )
