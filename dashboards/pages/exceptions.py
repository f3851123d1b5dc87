"""Exception queue: every open exception, ranked by impact, sortable."""

from __future__ import annotations

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, chart, grid, section, table
from ..queries import SnapshotData

QUEUE_COLUMNS = (
    Column("impact_rank", "rank", "numeric"),
    Column("exception_type", "exception"),
    Column("workflow", "workflow"),
    Column("location_id", "location"),
    Column("sku", "SKU"),
    Column("reference_id", "reference"),
    Column("opened_at", "opened"),
    Column("age_h", "age (h)", "numeric"),
    Column("units", "units", "numeric"),
    Column("value_at_cost", "value at cost", "money"),
    Column("detail", "detail"),
)


def render(data: SnapshotData, filters: Filters) -> list:
    queue = queries.exception_queue(data, filters)
    queue_table = table(
        "exceptions-table",
        queue,
        QUEUE_COLUMNS,
        "Open exceptions ranked by impact (click a header to sort, type in the "
        "row below it to filter)",
        page_size=25,
        source="exception_queue",
    )
    return [
        section(
            "What is open",
            grid(
                chart(
                    "exceptions-by-workflow",
                    queries.exception_summary(data, filters),
                    figures.exception_value_by_workflow,
                    table="exception_queue",
                    title="Open exceptions",
                ),
                chart(
                    "exceptions-by-location",
                    queries.exception_value_by_location(data, filters),
                    figures.exception_value_by_location,
                    table="exception_queue",
                    title="Open exceptions by location",
                ),
            ),
        ),
        section("Queue", queue_table),
    ]


PAGE = Page(
    slug="exceptions",
    title="Exception queue",
    heading="Exception queue",
    question="Which open exceptions cost the most, and where are they?",
    applies=("location",),
    render=render,
    note="Everything open as of the snapshot: stalled cases, recent oversells, negative stock, "
    "stock moves not posted to the ERP and unsourced failed reservations.",
)
