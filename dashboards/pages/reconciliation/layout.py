"""The reconciliation page: posting lag, the unreconciled backlog and its work list."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from dashboards.components import Chart, grid, section
from dashboards.data import SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters
from dashboards.links import linked
from dashboards.pages.exceptions.queries import exception_queue

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    filters = replace(filters, channels=())  # stock moves have no sales channel
    lag = (
        LAG_TREND(queries.posting_lag_by_day(data, filters), filters=filters),
        LAG_BY_TYPE(queries.posting_lag_by_event_type(data, filters), filters=filters),
    )
    backlog = (
        UNPOSTED(queries.unreconciled_by_day(data, filters), filters=filters),
        AGING(queries.unreconciled_backlog(data, filters), filters=filters),
    )
    return [
        section("Posting lag", grid(*lag)),
        section("Unreconciled backlog", grid(*backlog), BACKLOG(data, filters)),
    ]


# The charts and tables `render` fills in.
LAG_TREND = Chart("reconciliation-lag-trend", figures.POSTING_LAG, figures.posting_lag_trend)
LAG_BY_TYPE = Chart(
    "reconciliation-lag-by-type", "Posting lag by event type", figures.posting_lag_by_event_type
)
UNPOSTED = Chart("reconciliation-unposted-by-day", "Unposted moves", figures.unreconciled_by_day)
AGING = Chart("reconciliation-backlog-aging", "Backlog aging", figures.backlog_aging)
BACKLOG = Table(
    "reconciliation-backlog-table",
    "Unposted stock moves, highest value first",
    linked(partial(exception_queue, exception_type="unreconciled_event")),
    {
        "impact_rank": "rank",
        "reference_id": "event",
        "location_id": "location",
        "sku": "SKU",
        "detail": "what",
        "opened_at": "occurred",
        "age_h": "age (h)",
        "units": "units",
        "value_at_cost": "value at cost",
    },
    link="case_href",  # each row opens its case's timeline
)
