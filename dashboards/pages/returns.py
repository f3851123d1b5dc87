"""Returns: disposition time and stalled returns."""

from __future__ import annotations

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, chart, grid, section, table
from ..queries import SnapshotData

STALLED_COLUMNS = (
    Column("case_key", "return line"),
    Column("location_id", "location"),
    Column("stage", "stuck at"),
    Column("last_event_at", "last event"),
    Column("age_h", "idle (h)", "numeric"),
    Column("hours_over_sla", "over SLA (h)", "numeric"),
    Column("units", "units", "numeric"),
    Column("value_at_cost", "value at cost", "money"),
)


def render(data: SnapshotData, filters: Filters) -> list:
    stalled = queries.stalled_cases(data, filters, workflow="return")
    stalled_table = table(
        "returns-stalled-table",
        stalled,
        STALLED_COLUMNS,
        "Stalled returns, longest idle first",
        source="stalled_cases",
    )
    return [
        section(
            "Disposition time",
            grid(
                chart(
                    "returns-disposition-by-location",
                    queries.return_disposition_by_location(data, filters),
                    figures.disposition_by_location,
                    table="fct_returns",
                    title="Disposition time by location",
                ),
                chart(
                    "returns-disposition-trend",
                    queries.return_disposition_by_day(data, filters),
                    figures.disposition_trend,
                    table="fct_returns",
                    title="Disposition trend",
                ),
            ),
        ),
        section(
            "Stalled returns (open now)",
            grid(
                chart(
                    "returns-stalled",
                    stalled,
                    figures.stalled_by_location,
                    table="stalled_cases",
                    title="Stalled returns",
                    wide=True,
                ),
            ),
            stalled_table,
        ),
    ]


PAGE = Page(
    slug="returns",
    title="Returns",
    heading="Returns",
    question="How long do returns wait for inspection, and which ones are stuck?",
    applies=("dates", "channel", "location"),
    render=render,
    note="Disposition time uses returns received in the selected dates. Stalled returns are "
    "what is open as of the snapshot, so only the location filters apply to them.",
)
