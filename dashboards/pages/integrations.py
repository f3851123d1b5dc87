"""Integration health: API failure rate with disruptions and their recovery, feed lag."""

from __future__ import annotations

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, chart, grid, section, table
from ..queries import SnapshotData

DISRUPTION_COLUMNS = (
    Column("integration", "integration"),
    Column("started_at", "first failure"),
    Column("last_failed_at", "last failure"),
    Column("recovered_at", "recovered"),
    Column("failed_calls", "failed calls", "numeric"),
    Column("recovery_time_min", "recovery (min)", "numeric"),
)


def render(data: SnapshotData, filters: Filters) -> list:
    rates = queries.api_failure_rate_by_day(data, filters)
    disruptions = queries.integration_disruptions(data, filters)
    disruption_table = table(
        "integrations-disruptions-table",
        disruptions,
        DISRUPTION_COLUMNS,
        "Disruptions (≥5 consecutive failed calls)",
        source="fct_integration_disruptions",
    )
    return [
        section(
            "API calls",
            grid(
                chart(
                    "integrations-failure-rate",
                    (rates, disruptions),
                    figures.failure_rate_with_disruptions,
                    table="kpi_daily",
                    title="API failure rate",
                    wide=True,
                ),
                chart(
                    "integrations-recovery",
                    disruptions,
                    figures.disruption_recovery,
                    table="fct_integration_disruptions",
                    title="Disruption recovery",
                ),
                chart(
                    "integrations-feed-lag",
                    queries.feed_lag_by_day(data, filters),
                    figures.feed_lag,
                    table="kpi_daily",
                    title="Feed delivery lag",
                ),
            ),
        ),
        section("Disruptions", disruption_table),
    ]


PAGE = Page(
    slug="integrations",
    title="Integration health",
    heading="Integration health",
    question="Which integrations fail, when were they down, and how fast did they recover?",
    applies=("dates",),
    render=render,
)
