"""Reconciliation: ERP posting lag and the unreconciled backlog."""

from __future__ import annotations

from dataclasses import replace

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, chart, grid, section, table
from ..queries import SnapshotData

BACKLOG_COLUMNS = (
    Column("impact_rank", "rank", "numeric"),
    Column("reference_id", "event"),
    Column("location_id", "location"),
    Column("sku", "SKU"),
    Column("detail", "what"),
    Column("opened_at", "occurred"),
    Column("age_h", "age (h)", "numeric"),
    Column("units", "units", "numeric"),
    Column("value_at_cost", "value at cost", "money"),
)


def render(data: SnapshotData, filters: Filters) -> list:
    filters = replace(filters, channels=())  # stock moves have no sales channel
    backlog = queries.exception_queue(data, filters, exception_type="unreconciled_event")
    backlog_table = table(
        "reconciliation-backlog-table",
        backlog,
        BACKLOG_COLUMNS,
        "Unposted stock moves, highest value first",
        source="exception_queue",
    )
    return [
        section(
            "Posting lag",
            grid(
                chart(
                    "reconciliation-lag-trend",
                    queries.posting_lag_by_day(data, filters),
                    figures.posting_lag_trend,
                    table="kpi_daily",
                    title="ERP posting lag",
                ),
                chart(
                    "reconciliation-lag-by-type",
                    queries.posting_lag_by_event_type(data, filters),
                    figures.posting_lag_by_event_type,
                    table="kpi_observations",
                    title="Posting lag by event type",
                ),
            ),
        ),
        section(
            "Unreconciled backlog",
            grid(
                chart(
                    "reconciliation-unposted-by-day",
                    queries.unreconciled_by_day(data, filters),
                    figures.unreconciled_by_day,
                    table="kpi_daily",
                    title="Unposted moves",
                ),
                chart(
                    "reconciliation-backlog-aging",
                    queries.unreconciled_backlog(data, filters),
                    figures.backlog_aging,
                    table="exception_queue",
                    title="Backlog aging",
                ),
            ),
            backlog_table,
        ),
    ]


PAGE = Page(
    slug="reconciliation",
    title="Reconciliation",
    heading="Reconciliation with the ERP",
    question="How long until stock moves reach the ERP, and what is still unposted?",
    applies=("dates", "location"),
    render=render,
    note="Lag and daily counts are KPIs by day of the move (complete days; not reported by "
    "location, so a region or location filter leaves them out); the backlog is what is open "
    "at the data horizon, so only the location filters apply to it.",
)
