"""What the dashboards know about each KPI of kpi_daily: label, unit, direction, how it
re-aggregates over days and dimension values, and which dimension answers which filter."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .filters import Filters


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str  # "ratio" (0-1), "s", "h", "min" or "count"
    # ratio: sum(numerator)/sum(denominator); mean: the same (sum / observations);
    # count: sum of values; percentile: observation-weighted mean of the daily values
    # (percentiles do not re-aggregate exactly); level: the last day's value.
    kind: str
    higher_is_better: bool
    location_dimension: str | None = None  # "location_id" or "origin" when cut by location
    channel_dimension: bool = False


KPIS: dict[str, Kpi] = {
    k.name: k
    for k in (
        Kpi(
            "order_exception_rate",
            "Orders with an exception",
            "ratio",
            "ratio",
            False,
            channel_dimension=True,
        ),
        Kpi(
            "reservation_failure_rate",
            "Reservation failure rate",
            "ratio",
            "ratio",
            False,
            "location_id",
            True,
        ),
        Kpi(
            "reservation_latency_p50_s",
            "Reservation latency p50",
            "s",
            "percentile",
            False,
            "location_id",
            True,
        ),
        Kpi(
            "reservation_latency_p95_s",
            "Reservation latency p95",
            "s",
            "percentile",
            False,
            "location_id",
            True,
        ),
        Kpi("oversell_incidents", "Oversells", "count", "count", False, "location_id", True),
        Kpi("transfer_accuracy", "Transfers received in full", "ratio", "ratio", True, "origin"),
        Kpi(
            "transfer_cycle_time_p50_h",
            "Transfer cycle time p50",
            "h",
            "percentile",
            False,
            "origin",
        ),
        Kpi(
            "transfer_cycle_time_p95_h",
            "Transfer cycle time p95",
            "h",
            "percentile",
            False,
            "origin",
        ),
        Kpi(
            "returns_disposition_time_p50_h",
            "Return disposition p50",
            "h",
            "percentile",
            False,
            "location_id",
        ),
        Kpi(
            "returns_disposition_time_p95_h",
            "Return disposition p95",
            "h",
            "percentile",
            False,
            "location_id",
        ),
        Kpi("reconciliation_time_p50_h", "ERP posting lag p50", "h", "percentile", False),
        Kpi("reconciliation_time_p95_h", "ERP posting lag p95", "h", "percentile", False),
        Kpi("unreconciled_events", "Unposted stock moves", "count", "count", False),
        Kpi("stockout_rate", "Stockout rate", "ratio", "ratio", False, "location_id"),
        Kpi(
            "negative_stock_positions",
            "Negative stock positions",
            "count",
            "level",
            False,
            "location_id",
        ),
        Kpi(
            "inventory_record_accuracy",
            "Inventory record accuracy",
            "ratio",
            "ratio",
            True,
            "location_id",
        ),
        Kpi(
            "supplier_on_time_rate",
            "Supplier on-time receipts",
            "ratio",
            "ratio",
            True,
            "location_id",
        ),
        Kpi("source_delivery_lag_p95_min", "Feed delivery lag p95", "min", "percentile", False),
        Kpi("api_failure_rate", "API failure rate", "ratio", "ratio", False),
        Kpi("integration_disruptions", "Integration disruptions", "count", "count", False),
        Kpi("disruption_recovery_time_min", "Disruption recovery time", "min", "mean", False),
    )
}

HEADLINE_KPIS: tuple[str, ...] = (
    "order_exception_rate",
    "reservation_failure_rate",
    "reservation_latency_p95_s",
    "oversell_incidents",
    "transfer_accuracy",
    "returns_disposition_time_p95_h",
    "reconciliation_time_p95_h",
    "unreconciled_events",
    "inventory_record_accuracy",
    "stockout_rate",
    "supplier_on_time_rate",
    "api_failure_rate",
)


@dataclass(frozen=True)
class KpiCut:
    """Which kpi_daily rows answer the filters: a dimension and (optionally) its values."""

    dimension: str
    values: tuple[str, ...] | None
    note: str  # how the filters were honoured, shown under the tile


def choose_cut(kpi: Kpi, filters: Filters, locations: tuple[str, ...] | None) -> KpiCut:
    """Location filters win over channel filters (kpi_daily cuts by one dimension at a time).

    `locations` is the resolved location set (selected locations within selected regions),
    None when no location filter is set.
    """
    if locations is not None:
        if kpi.location_dimension:
            return KpiCut(kpi.location_dimension, locations, "selected locations")
        if not (filters.channels and kpi.channel_dimension):
            return KpiCut("all", None, "all locations (not reported by location)")
    if filters.channels:
        if kpi.channel_dimension:
            return KpiCut("channel", filters.channels, "selected channels")
        return KpiCut("all", None, "all channels (not reported by channel)")
    return KpiCut("all", None, "all")


def aggregate_kpi(kpi: Kpi, rows: pl.DataFrame | None) -> float | None:
    """One value from daily rows (kpi_date, value_sum, numerator, denominator, weighted);
    None without rows."""
    if rows is None or rows.is_empty():
        return None
    if kpi.kind == "level":
        last = rows.filter(pl.col("kpi_date") == rows["kpi_date"].max())
        return float(last["value_sum"].sum())
    if kpi.kind == "count":
        return float(rows["value_sum"].sum())
    denominator = rows["denominator"].sum()
    if not denominator:
        return None
    numerator = rows["weighted"].sum() if kpi.kind == "percentile" else rows["numerator"].sum()
    return float(numerator / denominator)


def split_at_period_start(
    rows: pl.DataFrame, filters: Filters
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """`kpi_history` rows as (this period, the period before), the latter None when there is
    none: all dates selected, an open end, or nothing before year 1."""
    if filters.start is None:
        return rows, None
    current = rows.filter(pl.col("kpi_date") >= filters.start)
    if filters.previous_period() is None:
        return current, None
    return current, rows.filter(pl.col("kpi_date") < filters.start)


def daily_kpi(kpi: Kpi, rows: pl.DataFrame) -> pl.DataFrame:
    """(kpi_date, value) per day, aggregated like `aggregate_kpi`."""
    # a day Python cannot hold arrives as NULL (queries.SnapshotData) and gets no point
    days = sorted(rows["kpi_date"].drop_nulls().unique().to_list())
    values = [aggregate_kpi(kpi, rows.filter(pl.col("kpi_date") == day)) for day in days]
    return pl.DataFrame(
        {"kpi_date": days, "value": values}, schema={"kpi_date": pl.Date, "value": pl.Float64}
    )


def format_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "–"
    if kpi.unit == "ratio":
        return f"{value:.1%}"
    if kpi.unit == "count":
        return f"{value:,.0f}"
    if kpi.unit == "s" and value >= 90:  # 1,106 s reads better as 18 min
        return f"{value / 60:,.0f} min" if value < 5400 else f"{value / 3600:,.1f} h"
    return f"{value:,.1f} {kpi.unit}"


def format_change(kpi: Kpi, current: float | None, previous: float | None) -> tuple[str, str]:
    """(text, tone) of the change vs the previous period; tone is good, bad or neutral.

    Rates change in percentage points, everything else in percent of the previous value (or
    in units when the previous value was zero). A change that rounds to zero is no change.
    """
    if current is None or previous is None:
        return "no previous period", "neutral"
    delta = current - previous
    if kpi.unit == "ratio":
        text = f"{delta * 100:+.1f} pp"
    elif previous == 0:
        text = f"{delta:+,.0f}" if kpi.unit == "count" else f"{delta:+,.1f} {kpi.unit}"
    else:
        text = f"{delta / abs(previous):+.0%}"
    if text.lstrip("+-").split(" ")[0].strip("0.%,") == "":
        return "no change", "neutral"
    improved = (delta > 0) == kpi.higher_is_better
    return f"{text} vs previous", "good" if improved else "bad"
