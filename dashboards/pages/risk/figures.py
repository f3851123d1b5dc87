"""Location risk: which locations to count first, what drives them, and where the risk sits.

The count threshold (the score from which the cycle-count policy asks for a count) comes
from the snapshot's manifest; a snapshot published without it draws no threshold and says
so."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from dashboards.filters import UNKNOWN
from dashboards.theme import (
    BAD,
    GRID,
    HEIGHT,
    TOP_N,
    base_figure,
    category_colours,
    counted,
    empty_figure,
    heat_scale,
)

NO_SCORES = "No scored locations for the selected filters."
NO_THRESHOLD = "the snapshot records no count threshold (published before it did)"
# What a region of "unknown" means wherever the page shows one.
UNKNOWN_REGION = (
    "region unknown: the location is not in the locations reference data (or has no region "
    "there), so no region filter picks it"
)


def unknown_region_note(regions) -> str:
    """The note to append (" · ...") where `regions` include "unknown"; "" otherwise."""
    return f" · {UNKNOWN_REGION}" if UNKNOWN in set(regions) else ""


def _by_region(risk: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """The rows with their region ("unknown" when missing), and the regions' colours."""
    rows = risk.with_columns(pl.col("region").fill_null(UNKNOWN))
    return rows, category_colours("region", sorted(set(rows["region"].to_list())))


def risk_ranking(risk: pl.DataFrame, threshold: float | None, top: int = 20) -> go.Figure:
    title = "Which locations should be counted first?"
    if risk.is_empty():
        return empty_figure(title, NO_SCORES)
    rows = risk.sort("risk_rank").head(top)
    if threshold is None:
        above = NO_THRESHOLD
    else:
        high = risk.filter(pl.col("risk_score") >= threshold).height
        above = f"{counted(high, 'location')} ≥ {threshold:g}"
    rows, colours = _by_region(rows.reverse().with_columns(pl.col("reason").fill_null("")))
    figure = base_figure(
        title,
        f"Risk score: percentile rank among locations (0.9 = riskier than ~90 %), "
        f"top {rows.height} · {above}" + unknown_region_note(colours),
        height=max(HEIGHT, 24 * rows.height + 110),
    )
    for region, colour in colours.items():
        part = rows.filter(pl.col("region") == region)
        figure.add_bar(
            name=region,
            marker={"color": colour},
            orientation="h",
            y=part["location_id"].to_list(),
            x=part["risk_score"].to_list(),
            hovertemplate="%{y}: %{x:.2f}<br>%{customdata}<extra></extra>",
            customdata=part["reason"].to_list(),
        )
    figure.update_xaxes(range=[0, 1], showgrid=True, gridcolor=GRID, title_text="risk score")
    figure.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=rows["location_id"].to_list(),
        showgrid=False,
    )
    figure.update_layout(barmode="overlay", legend_title_text="region")
    return figure


def risk_drivers(risk: pl.DataFrame, features: Sequence[str], top: int = TOP_N) -> go.Figure:
    title = "What drives the riskiest locations?"
    if risk.is_empty() or not features:
        return empty_figure(title, "The risk table has no driver features to show.")
    # Percentile among all shown locations makes features on different scales comparable.
    # Ties share the lowest rank, so a feature most locations have at zero stays pale.
    ranked = risk.with_columns(
        [
            ((pl.col(f).rank("min") - 1) / pl.max_horizontal(pl.col(f).count() - 1, 1)).alias(
                f"{f}__pct"
            )
            for f in features
        ]
    )
    rows = ranked.sort("risk_rank").head(top)
    figure = base_figure(
        title,
        "Cell colour = percentile of the feature among the locations "
        "shown on this page; hover for the value",
        height=max(HEIGHT, 26 * rows.height + 150),
    )
    figure.add_heatmap(
        z=[[row[f"{f}__pct"] for f in features] for row in rows.iter_rows(named=True)],
        x=[f.replace("_", " ") for f in features],
        y=rows["location_id"].to_list(),
        text=[
            ["–" if row[f] is None else f"{row[f]:.3g}" for f in features]
            for row in rows.iter_rows(named=True)
        ],
        colorscale=heat_scale(0.7),
        zmin=0,
        zmax=1,
        hovertemplate="%{y} · %{x}<br>value %{text}<br>percentile %{z:.0%}<extra></extra>",
        colorbar={"title": {"text": "percentile"}, "tickformat": ".0%", "thickness": 12},
    )
    figure.update_yaxes(autorange="reversed", type="category", showgrid=False)
    figure.update_xaxes(tickangle=-35, showgrid=False)
    figure.update_layout(margin={"b": 120})
    return figure


def risk_by_region(risk: pl.DataFrame, threshold: float | None) -> go.Figure:
    """Every location's score by region, with the count threshold as a dotted line."""
    title = "Which regions carry the most risk?"
    if risk.is_empty():
        return empty_figure(title, NO_SCORES)
    rows, colours = _by_region(risk)
    if threshold is None:
        above = NO_THRESHOLD
    else:
        summary = (
            rows.group_by("region")
            .agg(high=(pl.col("risk_score") >= threshold).sum(), locations=pl.len())
            .sort("region")
        )
        above = f"above {threshold:g}: " + ", ".join(
            f"{r['region']} {r['high']}/{r['locations']}" for r in summary.iter_rows(named=True)
        )
    figure = base_figure(
        title, f"Risk score of every location by region · {above}" + unknown_region_note(colours)
    )
    for region, colour in colours.items():
        part = rows.filter(pl.col("region") == region)
        figure.add_box(
            name=region,
            y=part["risk_score"].to_list(),
            boxpoints="all",
            jitter=0.4,
            pointpos=0,
            marker={"color": colour},
            text=part["location_id"].to_list(),
            hovertemplate="%{text}: %{y:.2f}<extra></extra>",
            showlegend=False,
        )
    if threshold is not None:
        figure.add_hline(y=threshold, line={"color": BAD, "dash": "dot", "width": 1})
    figure.update_yaxes(range=[0, 1.02], title_text="risk score")
    return figure
