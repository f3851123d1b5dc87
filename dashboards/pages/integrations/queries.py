"""Integration health: API failure rate and feed lag (KPIs by day), and the disruptions
(fct_integration_disruptions)."""

from __future__ import annotations

import polars as pl

from dashboards.data import Missing, SnapshotData, needs, where
from dashboards.filters import Filters, filter_conditions
from dashboards.kpi_queries import kpi_by_dimension


def api_failure_rate_by_day(data: SnapshotData, filters: Filters) -> pl.DataFrame | Missing:
    """kpi_date, integration, failure_rate, calls."""
    return kpi_by_dimension(
        data,
        "api_failure_rate",
        "integration",
        filters,
        value="failure_rate",
        denominator="calls",
    )


def feed_lag_by_day(data: SnapshotData, filters: Filters) -> pl.DataFrame | Missing:
    """kpi_date, source_system, lag_p95_min."""
    return kpi_by_dimension(
        data, "source_delivery_lag_p95_min", "source_system", filters, value="lag_p95_min"
    )


@needs("fct_integration_disruptions")
def integration_disruptions(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    return data.select(
        """
        select disruption_id, integration, started_at, last_failed_at, recovered_at,
            is_recovered, failed_calls, recovery_time_min
        from fct_integration_disruptions {where}
        order by started_at
        """,
        where(filter_conditions(filters, date_column="disruption_date")),
    )
