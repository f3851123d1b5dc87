"""The cycle-count page: the queue's status, value at stake and results, then the requests."""

from __future__ import annotations

from dashboards.components import graph, grid, missing_table, section
from dashboards.data import Missing, SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    requests = queries.cycle_count_requests(data, filters)
    if isinstance(requests, Missing):
        return [missing_table("cycle-counts-status", "Cycle-count queue", requests, wide=True)]
    status = graph("cycle-counts-status", figures.cycle_count_status(requests))
    at_stake = graph("cycle-counts-at-stake", figures.cycle_count_value_at_stake(requests))
    results = graph("cycle-counts-results", figures.cycle_count_results(requests), wide=True)
    return [section("Queue", grid(status, at_stake, results), REQUESTS(data, filters))]


# The charts and tables `render` fills in.
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
