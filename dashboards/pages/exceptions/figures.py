"""Where the open exception value sits: by workflow and by location."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboards.charts import by_category, ranked_keys
from dashboards.theme import counted, empty_figure

NOTHING_OPEN = "No open exceptions for the selected locations."


def exception_value_by_workflow(summary: pl.DataFrame) -> go.Figure:
    title = "Where is the open exception value?"
    if summary.is_empty():
        return empty_figure(title, NOTHING_OPEN)
    total = summary["value_at_cost"].sum()
    count = summary["exceptions"].sum()
    figure = by_category(
        summary,
        "workflow",
        "value_at_cost",
        "exception_type",
        title,
        f"{counted(count, 'open exception')} worth {total:,.0f} at cost, by workflow",
        y_title="value at cost",
        horizontal=True,
    )
    figure.update_yaxes(categoryorder="total ascending")
    return figure


def exception_value_by_location(frame: pl.DataFrame) -> go.Figure:
    title = "Which locations hold the most open exception value?"
    if frame.is_empty():
        return empty_figure(title, NOTHING_OPEN)
    order = ranked_keys(frame, "location_id", "value_at_cost")
    figure = by_category(
        frame,
        "location_id",
        "value_at_cost",
        "exception_type",
        title,
        f"Value at cost of open exceptions, top {counted(len(order), 'location')}",
        y_title="value at cost",
    )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return figure
