"""The cycle-count page: the queue's status, value at stake and results, then the requests.
A bar opens the SKUs its requests ask to count."""

from __future__ import annotations

from dashboards.components import Chart, grid, missing_table, section
from dashboards.data import Missing, SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    requests = queries.cycle_count_requests(data, filters)
    if isinstance(requests, Missing):
        return [missing_table("cycle-counts-status", "Cycle-count queue", requests, wide=True)]
    charts = [chart(requests, filters=filters) for chart in CHARTS]
    return [section("Queue", grid(*charts), REQUESTS(data, filters))]


# The charts `render` fills in, each from the requests: the queue's status, the value at
# stake, the results; then the requests' table.
CHARTS = (
    Chart("cycle-counts-status", "Cycle-count queue", figures.cycle_count_status),
    Chart("cycle-counts-at-stake", "Value at stake", figures.cycle_count_value_at_stake),
    Chart("cycle-counts-results", "Count results", figures.cycle_count_results, wide=True),
)
REQUESTS = Table(
    "cycle-counts-table",
    "Requests, newest first",
    queries.cycle_count_requests,
    {
        "request_id": "request",
        "location_id": "location",
        "requested_at": "requested",
        "status": "status",
        "reason": "reason",
        "requested_skus": "SKUs (priority order)",
        "expected_discrepancy_value": "expected discrepancy",
        "skus_counted": "SKUs counted",
        "skus_inaccurate": "SKUs off",
        "value_corrected": "found discrepancy",
        "counted_at": "counted",
    },
)
