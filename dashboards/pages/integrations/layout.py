"""The integrations page: failure rate with disruptions, recovery, feed lag, disruptions."""

from __future__ import annotations

from dashboards.components import Chart, grid, section
from dashboards.data import SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    disruptions = queries.integration_disruptions(data, filters)
    rates = queries.api_failure_rate_by_day(data, filters)
    rates = FAILURE_RATE(rates, disruptions, filters=filters)
    feed_lag = FEED_LAG(queries.feed_lag_by_day(data, filters), filters=filters)
    recovery = RECOVERY(disruptions, filters=filters)
    return [
        section("API calls", grid(rates, recovery, feed_lag)),
        section("Disruptions", DISRUPTIONS(data, filters)),
    ]


# The charts and tables `render` fills in.
RECOVERY = Chart("integrations-recovery", "Disruption recovery", figures.disruption_recovery)
FEED_LAG = Chart("integrations-feed-lag", "Feed delivery lag", figures.feed_lag)
FAILURE_RATE = Chart(
    "integrations-failure-rate",
    "API failure rate",
    figures.failure_rate_with_disruptions,
    wide=True,
)
DISRUPTIONS = Table(
    "integrations-disruptions-table",
    "Disruptions (≥5 consecutive failed calls)",
    queries.integration_disruptions,
    {
        "integration": "integration",
        "started_at": "first failure",
        "last_failed_at": "last failure",
        "recovered_at": "recovered",
        "failed_calls": "failed calls",
        "recovery_time_min": "recovery (min)",
    },
)
