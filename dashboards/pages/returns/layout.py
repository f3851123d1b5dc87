"""The returns page: disposition time, and the returns stalled now."""

from __future__ import annotations

from dashboards.components import Chart, Table, grid, section
from dashboards.data import SnapshotData
from dashboards.filters import Filters
from dashboards.links import with_case_links

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    stalled = with_case_links(queries.stalled_cases(data, filters, workflow="return"), filters)
    by_location = BY_LOCATION(queries.return_disposition_by_location(data, filters))
    trend = TREND(queries.return_disposition_by_day(data, filters))
    return [
        section("Disposition time", grid(by_location, trend)),
        section(
            "Stalled returns (open now)",
            grid(STALLED(stalled, filters=filters)),
            STALLED_TABLE(stalled),
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
