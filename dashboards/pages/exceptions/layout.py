"""The exception queue page: value by workflow and location, then the sortable queue."""

from __future__ import annotations

from dashboards.components import Chart, Table, grid, section
from dashboards.data import SnapshotData
from dashboards.filters import Filters

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    summary = queries.exception_summary(data, filters)
    by_location = queries.exception_value_by_location(data, filters)
    return [
        section("What is open", grid(BY_WORKFLOW(summary), BY_LOCATION(by_location))),
        section("Queue", QUEUE(data, filters)),
    ]


# The charts and tables `render` fills in.
BY_WORKFLOW = Chart(
    "exceptions-by-workflow", "Open exceptions", figures.exception_value_by_workflow
)
BY_LOCATION = Chart(
    "exceptions-by-location", "Open exceptions by location", figures.exception_value_by_location
)
QUEUE = Table(
    "exceptions-table",
    "Open exceptions ranked by impact (click a header to sort, type in the row below it to filter)",
    queries.exception_queue,
    {
        "impact_rank": "rank",
        "exception_type": "exception",
        "workflow": "workflow",
        "location_id": "location",
        "sku": "SKU",
        "reference_id": "reference",
        "opened_at": "opened",
        "age_h": "age (h)",
        "units": "units",
        "value_at_cost": "value at cost",
        "detail": "detail",
    },
    page_size=25,
)
