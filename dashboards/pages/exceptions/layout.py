"""The exception queue page: value by workflow and location, then the worked queue (what has
been done about each exception, and the form that records what is done next)."""

from __future__ import annotations

from dash import html

from dashboards.components import Chart, grid, section
from dashboards.data import SnapshotData
from dashboards.filters import Filters

from . import figures, queries, work


def render(data: SnapshotData, filters: Filters) -> list:
    summary = BY_WORKFLOW(queries.exception_summary(data, filters), filters=filters)
    by_location = BY_LOCATION(queries.exception_value_by_location(data, filters), filters=filters)
    return [
        section("What is open", grid(summary, by_location)),
        section(
            "Work the queue",
            work.panel(data),
            html.Div(work.queue_table(data, filters, work.DEFAULT_SHOW), id="exceptions-queue"),
        ),
    ]


# The charts `render` fills in (the queue's table: work.QUEUE).
BY_WORKFLOW = Chart(
    "exceptions-by-workflow", "Open exceptions", figures.exception_value_by_workflow
)
BY_LOCATION = Chart(
    "exceptions-by-location", "Open exceptions by location", figures.exception_value_by_location
)
