"""The returns page: disposition time, and the returns stalled now."""

from __future__ import annotations

from functools import partial

from dashboards.components import Chart, grid, section
from dashboards.data import SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters
from dashboards.links import linked

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    stalled = queries.stalled_cases(data, filters, workflow="return")
    by_location = BY_LOCATION(
        queries.return_disposition_by_location(data, filters), filters=filters
    )
    trend = TREND(queries.return_disposition_by_day(data, filters), filters=filters)
    return [
        section("Disposition time", grid(by_location, trend)),
        section(
            "Stalled returns (open now)",
            grid(STALLED(stalled, filters=filters)),
            STALLED_TABLE(data, filters),
        ),
    ]


# The charts and tables `render` fills in.
BY_LOCATION = Chart(
    "returns-disposition-by-location",
    "Disposition time by location",
    figures.disposition_by_location,
)
TREND = Chart("returns-disposition-trend", "Disposition trend", figures.disposition_trend)
STALLED = Chart("returns-stalled", "Stalled returns", figures.stalled_by_location, wide=True)
STALLED_TABLE = Table(
    "returns-stalled-table",
    "Stalled returns, longest idle first",
    linked(partial(queries.stalled_cases, workflow="return")),
    {
        "case_key": "return line",
        "location_id": "location",
        "stage": "stuck at",
        "last_event_at": "last event",
        "age_h": "idle (h)",
        "hours_over_sla": "over SLA (h)",
        "units": "units",
        "value_at_cost": "value at cost",
    },
    link="case_href",  # each row opens its case's timeline
)
