"""Reconciliation with the ERP: posting lag and unposted moves (KPIs by day of the move) and
the unreconciled backlog open at the data horizon (exception_queue)."""

from __future__ import annotations

import polars as pl

from dashboards.data import Missing, SnapshotData, at_locations, needs
from dashboards.filters import Filters
from dashboards.kpi_queries import KpiValues, kpi_values

POSTING_LAG = ("reconciliation_time_p50_h", "reconciliation_time_p95_h")


def posting_lag_by_day(data: SnapshotData, filters: Filters) -> KpiValues | Missing:
    """reconciliation_time_p50_h and _p95_h per kpi_date (the day of the move)."""
    return kpi_values(data, POSTING_LAG, filters, ("kpi_date",))


def posting_lag_by_event_type(data: SnapshotData, filters: Filters) -> KpiValues | Missing:
    """reconciliation_time_p95_h per event_type over the window (recomputed from the
    postings), observations = postings."""
    return kpi_values(data, POSTING_LAG[-1:], filters, ("event_type",))


def unreconciled_by_day(data: SnapshotData, filters: Filters) -> KpiValues | Missing:
    """unreconciled_events per kpi_date and source_system, with the window's total."""
    return kpi_values(
        data, ("unreconciled_events",), filters, ("kpi_date", "source_system"), totals=True
    )


@needs("exception_queue")
def unreconciled_backlog(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """age_bucket, bucket_order, event_type, events, units, value_at_cost of the open backlog."""
    return data.select(
        """
        select
            case when age_h < 48 then '1-2 days' when age_h < 72 then '2-3 days'
                 when age_h < 168 then '3-7 days' else 'over 7 days' end as age_bucket,
            case when age_h < 48 then 1 when age_h < 72 then 2 when age_h < 168 then 3
                 else 4 end as bucket_order,
            event_type,
            count(*) as events, coalesce(sum(units), 0) as units,
            coalesce(sum(value_at_cost), 0) as value_at_cost
        from exception_queue {where}
        group by all
        order by bucket_order, event_type
        """,
        at_locations(filters, exception_type="unreconciled_event"),
    )
