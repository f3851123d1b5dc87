"""Orders and reservations: latencies and failures (KPIs), oversells per day, channel and SKU
(fct_order_lines)."""

from __future__ import annotations

import polars as pl

from dashboards.data import Missing, SnapshotData, needs, resolve_locations, where
from dashboards.filters import Filters, filter_conditions
from dashboards.kpi_queries import (
    KpiValues,
    kpi_by_dimension,
    kpi_catalog,
    kpi_values,
    observation_conditions,
)
from dashboards.kpis import choose_cut

LATENCY_PERCENTILES = ("reservation_latency_p50_s", "reservation_latency_p95_s")


@needs("kpi_catalog", "kpi_observations")
def reservation_latencies(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """channel, latency_s of every confirmed reservation in the filters: the observations
    of the reservation latency KPIs (kpi_observations, complete days), cut as they are."""
    kpi = kpi_catalog(data)[LATENCY_PERCENTILES[-1]]
    cut = choose_cut(kpi, filters, resolve_locations(data, filters))
    conditions = observation_conditions(kpi, cut, filters)
    if not cut.available:
        conditions.add("false")
    return data.select(
        "select channel, observation_value as latency_s "
        "from kpi_observations {where} order by channel, latency_s",
        where(conditions),
    )


def reservation_latency_percentiles(data: SnapshotData, filters: Filters) -> KpiValues | Missing:
    """Reservation latency p50 and p95 over the window (the Overview tile's p95)."""
    return kpi_values(data, LATENCY_PERCENTILES, filters)


def reservation_failure_reasons(data: SnapshotData, filters: Filters) -> pl.DataFrame | Missing:
    """kpi_date, reason_code, failures: failed reservations per day by reason."""
    return kpi_by_dimension(
        data, "reservation_failure_rate", "reason_code", filters, numerator="failures"
    )


def order_exception_rate_by_channel(data: SnapshotData, filters: Filters) -> KpiValues | Missing:
    """order_exception_rate per kpi_date and channel, with the window's overall rate (the
    Overview tile's)."""
    return kpi_values(
        data, ("order_exception_rate",), filters, ("kpi_date", "channel"), totals=True
    )


def order_lines_where(filters: Filters, *fixed: str) -> tuple[str, list]:
    """The where clause of the order lines under the filters (a location filter matches the
    fulfilling or the oversold location)."""
    conditions = filter_conditions(
        filters,
        date_column="order_date",
        channel_column="channel",
        location_columns=("fulfilment_location_id", "oversell_location_id"),
    )
    return where(conditions, "order_date is not null", *fixed)


@needs("fct_order_lines")
def orders_by_day(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """order_date, channel, order_lines, orders, oversells, orders_with_exception."""
    return data.select(
        """
        select order_date, coalesce(channel, 'unknown') as channel, count(*) as order_lines,
            count(distinct order_id) as orders,
            count(*) filter (where is_oversold) as oversells,
            count(distinct order_id) filter (where order_has_exception) as orders_with_exception
        from fct_order_lines {where}
        group by all
        order by order_date, channel
        """,
        order_lines_where(filters),
    )


@needs("fct_order_lines")
def oversells_by_sku_day(data: SnapshotData, filters: Filters, top: int = 20) -> pl.DataFrame:
    """order_date, sku, oversells for the `top` most oversold SKUs. Promotions are not
    flagged in the marts; they show up as many SKUs overselling on the same days."""
    return data.select(
        """
        with oversold as (
            select order_date, sku, count(*) as oversells
            from fct_order_lines {where}
            group by all
        ),
        worst as (
            select sku from oversold group by sku order by sum(oversells) desc, sku limit ?
        )
        select oversold.order_date, oversold.sku, oversold.oversells
        from oversold inner join worst on oversold.sku = worst.sku
        order by oversold.order_date, oversold.sku
        """,
        order_lines_where(filters, "is_oversold"),
        top,
    )
