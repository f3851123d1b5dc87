"""Returns: how long returns wait for inspection, and where they are stuck."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboards.charts import by_category, dumbbell, ranked_keys, unknown_note
from dashboards.filters import UNKNOWN
from dashboards.theme import TOP_N, counted, empty_figure

NO_RETURNS = "No inspected returns for the selected filters."


def disposition_by_location(frame: pl.DataFrame, top: int = TOP_N) -> go.Figure:
    title = "Where do returns wait longest for inspection?"
    if frame.is_empty():
        return empty_figure(title, NO_RETURNS)
    slowest = (
        frame.with_columns(pl.col("location_id").fill_null(UNKNOWN))
        .sort("p95_h", descending=True, nulls_last=True)
        .head(top)
    )
    return dumbbell(
        slowest,
        "location_id",
        "p50_h",
        "p95_h",
        title,
        f"Received → inspected, hours: p50 (blue) to p95 (red), slowest "
        f"{counted(slowest.height, 'location')}" + unknown_note(slowest["location_id"].to_list()),
        "h",
        "returns",
        "return",
    )


def disposition_trend(frame: pl.DataFrame) -> go.Figure:
    title = "Is return disposition getting faster?"
    if frame.is_empty():
        return empty_figure(title, NO_RETURNS)
    long = frame.unpivot(
        index="receipt_date", on=["p50_h", "p95_h"], variable_name="percentile", value_name="hours"
    ).with_columns(pl.col("percentile").str.head(3))
    return by_category(
        long,
        "receipt_date",
        "hours",
        "percentile",
        title,
        "Received → inspected, hours, by day of receipt",
        lines=True,
        y_title="hours",
    )


def stalled_by_location(stalled: pl.DataFrame, top: int = TOP_N) -> go.Figure:
    title = "Where are returns stuck?"
    if stalled.is_empty():
        return empty_figure(title, "No stalled returns for the selected locations.")
    counts = stalled.group_by(pl.col("location_id").fill_null(UNKNOWN), "stage").agg(
        cases=pl.len(), value_at_cost=pl.col("value_at_cost").sum()
    )
    worst = ranked_keys(counts, "location_id", "cases", top)
    counts = counts.filter(pl.col("location_id").is_in(worst))
    figure = by_category(
        counts,
        "location_id",
        "cases",
        "stage",
        title,
        f"{counted(stalled.height, 'return')} past their SLA with no disposition, "
        "by location and the stage they sit in" + unknown_note(worst),
        y_title="stalled returns",
    )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=worst)
    return figure
