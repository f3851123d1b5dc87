"""Returns: disposition time (fct_returns) and the returns stalled as of the snapshot."""

from __future__ import annotations

import polars as pl

from dashboards.data import SnapshotData, at_locations, needs, where
from dashboards.filters import Filters, filter_conditions


def _disposition_times(data: SnapshotData, filters: Filters, key: str, order: str) -> pl.DataFrame:
    """key, returns, p50_h, p95_h of the inspected returns received in the date range."""
    conditions = filter_conditions(
        filters,
        date_column="receipt_date",
        channel_column="channel",
        location_columns=("location_id",),
    )
    return data.select(
        f"""
        select {key}, count(*) as returns,
            quantile_cont(disposition_time_h, 0.5) as p50_h,
            quantile_cont(disposition_time_h, 0.95) as p95_h
        from fct_returns {{where}}
        group by {key}
        order by {order}
        """,
        where(conditions, "disposition_time_h is not null"),
    )


@needs("fct_returns")
def return_disposition_by_location(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """location_id, returns, p50_h, p95_h, slowest first."""
    return _disposition_times(data, filters, "location_id", "p95_h desc")


@needs("fct_returns")
def return_disposition_by_day(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """receipt_date, returns, p50_h, p95_h."""
    return _disposition_times(data, filters, "receipt_date", "receipt_date")


@needs("stalled_cases")
def stalled_cases(
    data: SnapshotData, filters: Filters, workflow: str | None = None
) -> pl.DataFrame:
    """Stalled cases as of the snapshot (dates do not apply), oldest first."""
    return data.select(
        """
        select workflow, case_key, location_id, sku, stage, last_event_at, age_h, sla_hours,
            hours_over_sla, units, value_at_cost
        from stalled_cases {where}
        order by age_h desc
        """,
        at_locations(filters, workflow=workflow),
    )
