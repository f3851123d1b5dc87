"""The exception queue page: value by workflow and location, then the sortable queue."""

from __future__ import annotations

from dashboards.components import Chart, Table, grid, section
from dashboards.data import SnapshotData
from dashboards.filters import Filters
from dashboards.links import with_case_links

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    summary = BY_WORKFLOW(queries.exception_summary(data, filters), filters=filters)
    by_location = BY_LOCATION(queries.exception_value_by_location(data, filters), filters=filters)
    queue = queries.exception_queue(data, filters)
    return [
        section("What is open", grid(summary, by_location)),
        section("Queue", QUEUE(with_case_links(queue, filters))),
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
    links={"reference_id": "case_href"},
)
