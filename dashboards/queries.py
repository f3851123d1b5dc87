"""Every query the pages run, as functions of (snapshot data, filters) -> polars frames.

A function returns None when a table it needs is not in the snapshot (the risk and
cycle-count tables arrive later than the marts); pages turn that into an empty state.
Filter values travel only as bound parameters (see `filters.Conditions`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from .filters import Conditions, Filters, default_period, filter_conditions
from .kpis import Kpi, KpiCut, choose_cut
from .snapshot import Snapshot, SnapshotReader


@dataclass
class SnapshotData:
    """One request's view of the snapshot: a private cursor and the manifest."""

    con: duckdb.DuckDBPyConnection
    snapshot: Snapshot

    def has(self, *tables: str) -> bool:
        return all(table in self.snapshot.tables for table in tables)

    def columns(self, table: str) -> list[str]:
        return list(self.snapshot.manifest.get("tables", {}).get(table, {}).get("columns", []))

    def frame(self, sql: str, params: Sequence = ()) -> pl.DataFrame:
        return self._relation(sql, params).pl()

    def row(self, sql: str, params: Sequence = ()) -> tuple:
        rows = self._relation(sql, params).fetchall()  # drains the result
        return rows[0] if rows else ()

    def _relation(self, sql: str, params: Sequence) -> duckdb.DuckDBPyRelation:
        """The query's result, with every date or timestamp Python cannot hold made NULL.

        DuckDB keeps days far outside Python's years 1..9999 (and ±infinity): it hands them
        to Python as text ('0001-12-31 (BC)'), polars panics on them. An event stored at
        0001-01-01T03:00+05:00 lies in year 0 and reaches kpi_daily that way. Such a day can
        be neither drawn nor picked, so it arrives as an unknown date; its row is kept.
        """
        relation = self.con.sql(sql, params=list(params))
        kinds = [kind.id for kind in relation.types]
        if not TEMPORAL_TYPES.intersection(kinds):
            return relation
        return relation.project(
            ", ".join(
                _drawable(name) if kind in TEMPORAL_TYPES else _quote(name)
                for name, kind in zip(relation.columns, kinds, strict=True)
            )
        )


TEMPORAL_TYPES = frozenset(
    {"date", "timestamp", "timestamp with time zone", "timestamp_s", "timestamp_ms", "timestamp_ns"}
)
# The days the dashboards can draw and a planner can pick: Python's date range.
FIRST_DRAWABLE_DAY, LAST_DRAWABLE_DAY = date.min, date.max


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _drawable(name: str) -> str:
    column = _quote(name)
    return (
        f"case when cast({column} as date) between date '{FIRST_DRAWABLE_DAY}' "
        f"and date '{LAST_DRAWABLE_DAY}' then {column} end as {column}"
    )


@contextmanager
def snapshot_data(reader: SnapshotReader) -> Iterator[SnapshotData | None]:
    """The current snapshot for one request (None before the first publish); the cursor is
    closed afterwards."""
    opened = reader.open()
    if opened is None:
        yield None
        return
    cursor, snapshot = opened
    try:
        yield SnapshotData(cursor, snapshot)
    finally:
        cursor.close()


def _where(conditions: Conditions, *fixed: str) -> tuple[str, list]:
    """A where clause of fixed predicates plus filter conditions, and its parameters."""
    clauses = list(fixed) + conditions.clauses
    return ("where " + " and ".join(clauses)) if clauses else "", conditions.params


# -- filter options and scope -------------------------------------------------------------


def date_bounds(data: SnapshotData) -> tuple[date | None, date | None]:
    """The first and last day of kpi_daily a planner can pick (see `SnapshotData._relation`)."""
    if not data.has("kpi_daily"):
        return None, None
    first, last = data.row(
        "select min(kpi_date), max(kpi_date) from kpi_daily where kpi_date between ? and ?",
        [FIRST_DRAWABLE_DAY, LAST_DRAWABLE_DAY],
    )
    return first, last


def filter_options(data: SnapshotData) -> dict[str, list]:
    """Choices for the filter bar: channels, regions and locations (value, label)."""
    options: dict[str, list] = {"channels": [], "regions": [], "locations": []}
    if data.has("fct_order_lines"):
        options["channels"] = data.frame(
            "select distinct channel from fct_order_lines where channel is not null order by 1"
        )["channel"].to_list()
    if data.has("dim_locations"):
        locations = data.frame(
            "select location_id, coalesce(location_name, location_id) as name, region "
            "from dim_locations order by location_type desc, location_id"
        )
        options["regions"] = sorted({r for r in locations["region"].to_list() if r})
        options["locations"] = [
            (row["location_id"], f"{row['location_id']} · {row['name']}")
            for row in locations.iter_rows(named=True)
        ]
    return options


def resolve_locations(data: SnapshotData, filters: Filters) -> tuple[str, ...] | None:
    """The selected locations inside the selected regions; None without a location filter."""
    if not filters.filters_locations:
        return None
    if not data.has("dim_locations"):
        return tuple(filters.locations) or None
    conditions = filter_conditions(filters, location_columns=("location_id",))
    where, params = _where(conditions)
    rows = data.frame(f"select location_id from dim_locations {where} order by 1", params)
    return tuple(rows["location_id"].to_list())


# -- KPIs: the catalog and the one aggregation ----------------------------------------------


def kpi_catalog(data: SnapshotData) -> dict[str, Kpi] | None:
    """The dbt catalog's KPIs by name, in display order (None without the table)."""
    if not data.has("kpi_catalog"):
        return None
    rows = data.frame("select * from kpi_catalog order by display_order, kpi_name")
    return {row["kpi_name"]: Kpi.from_catalog(row) for row in rows.iter_rows(named=True)}


def headline_kpis(data: SnapshotData) -> list[Kpi] | None:
    catalog = kpi_catalog(data)
    return None if catalog is None else [kpi for kpi in catalog.values() if kpi.is_headline]


# The dimension columns of kpi_observations (dbt macro kpi_observation_dimensions).
OBSERVATION_COLUMNS = (
    "channel",
    "location_id",
    "origin",
    "destination",
    "source_system",
    "event_type",
)


@dataclass(frozen=True)
class KpiValues:
    """KPI values under the filters: `frame` holds kpi_name, the `by` keys, value and
    observations (summed denominators, or the number of observations of a percentile);
    `cuts` says per KPI which rows answered (or why none could); `totals` holds each KPI's
    value over the whole window (the tile's), when asked for."""

    by: tuple[str, ...]
    frame: pl.DataFrame
    cuts: dict[str, KpiCut]
    totals: dict[str, float | None] = field(default_factory=dict)

    def value(self, name: str) -> float | None:
        """The single value of a KPI (without `by` keys); None without data."""
        rows = self.of(name)
        return rows["value"][0] if rows.height else None

    def of(self, name: str) -> pl.DataFrame:
        return self.frame.filter(pl.col("kpi_name") == name)

    @property
    def unavailable(self) -> str | None:
        """Why the filters cannot be answered, when they cannot for any of the KPIs."""
        notes = [cut.unavailable for cut in self.cuts.values()]
        return notes[0] if notes and all(notes) else None


def _complete_days(filters: Filters) -> Conditions:
    """The complete days (on or before the data horizon's day) of the filters' dates."""
    conditions = Conditions().add("is_complete")
    if filters.start:
        conditions.add("kpi_date >= ?", filters.start)
    if filters.end:
        conditions.add("kpi_date <= ?", filters.end)
    return conditions


def _observation_conditions(
    kpi: Kpi, cut: KpiCut, filters: Filters, breakdown: Sequence[str] = ()
) -> Conditions:
    """The kpi_observations rows of a percentile KPI under its cut (and with a value for
    each breakdown dimension)."""
    unknown = {d for d, _ in cut.dimensions}.union(breakdown) - set(OBSERVATION_COLUMNS)
    if unknown:
        raise ValueError(f"kpi_observations has no column {sorted(unknown)}")
    conditions = _complete_days(filters).add("kpi_family = ?", kpi.observation_family)
    for dimension, values in cut.dimensions:
        conditions.add(f"list_contains(?::varchar[], {dimension})", list(values))
    for dimension in breakdown:
        conditions.add(f"{dimension} is not null")
    return conditions


def _kpi_query(kpi: Kpi, cut: KpiCut, filters: Filters, by: Sequence[str]) -> tuple[str, list]:
    """One KPI's select (kpi_name, by keys, value, observations) over complete days:
    ratio and mean = sum(numerator) / sum(denominator) of kpi_daily; count = sum(value);
    level = the sum on the window's last day with rows; percentile = quantile_cont over
    the window's observations in kpi_observations (never a mean of daily values)."""
    breakdown = [key for key in by if key != "kpi_date"]
    if kpi.aggregation == "percentile":
        conditions = _observation_conditions(kpi, cut, filters, breakdown)
        keys = list(by)
        value = f"quantile_cont(observation_value, {float(kpi.percentile)!r})"
        observations, source = "count(*)", "kpi_observations"
    else:
        dimensions = list(dict.fromkeys([d for d, _ in cut.dimensions] + breakdown))
        conditions = _complete_days(filters).add("kpi_name = ?", kpi.name)
        conditions.add("dimension = ?", dimensions[0] if dimensions else "all")
        for _, values in cut.dimensions:
            conditions.add("list_contains(?::varchar[], dimension_value)", list(values))
        keys = [key if key == "kpi_date" else f'dimension_value as "{key}"' for key in by]
        value = (
            "sum(value)"
            if kpi.aggregation in ("count", "level")
            else "sum(numerator) / nullif(sum(denominator), 0)"
        )
        observations, source = "sum(denominator)", "kpi_daily"
    where = conditions.where()
    if kpi.aggregation == "level" and "kpi_date" not in by:
        # a level is a stock, not a flow: the window's last day with rows stands
        where = f"{where} and kpi_date = (select max(kpi_date) from {source} {where})"
        params = [kpi.name, *conditions.params, *conditions.params]
    else:
        params = [kpi.name, *conditions.params]
    group_by = "group by " + ", ".join(f'"{key}"' for key in by) if by else ""
    select = ", ".join(["? as kpi_name", *keys])
    return (
        f"select {select}, cast({value} as double) as value, "
        f"cast({observations} as double) as observations from {source} {where} {group_by}",
        params,
    )


def kpi_values(
    data: SnapshotData,
    kpis: Sequence[Kpi],
    filters: Filters,
    by: Sequence[str] = (),
    *,
    totals: bool = False,
) -> KpiValues | None:
    """The KPIs under the filters (dates, channel, region, location), per `by` key (kpi_date
    and / or one dimension) or over the whole window: the one aggregation every tile, the
    chart beside it and the report use, so they read the same rows. Days after the data
    horizon are incomplete and never counted. None without kpi_daily."""
    if not data.has("kpi_daily"):
        return None
    locations = resolve_locations(data, filters)
    by = tuple(by)
    cuts = {kpi.name: choose_cut(kpi, filters, locations, by) for kpi in kpis}
    parts, params = [], []
    for kpi in kpis:
        if not cuts[kpi.name].available:
            continue
        if kpi.aggregation == "percentile" and not data.has("kpi_observations"):
            cuts[kpi.name] = KpiCut(unavailable="no observations in the snapshot")
            continue
        sql, kpi_params = _kpi_query(kpi, cuts[kpi.name], filters, by)
        parts.append(sql)
        params += kpi_params
    schema = {"kpi_name": pl.String, **dict.fromkeys(by, pl.String), "value": pl.Float64}
    if "kpi_date" in by:
        schema["kpi_date"] = pl.Date
    schema["observations"] = pl.Float64
    frame = (
        data.frame(" union all ".join(parts) + " order by all", params)
        if parts
        else pl.DataFrame(schema=schema)
    )
    overall = {}
    if totals and by:
        whole = kpi_values(data, kpis, filters)
        overall = {kpi.name: whole.value(kpi.name) for kpi in kpis}
    return KpiValues(by, frame, cuts, overall)


def kpi_window(data: SnapshotData) -> tuple[date | None, date | None]:
    """The default window: dbt's current standard period (kpi_period: the last complete
    days up to the data horizon), else the last days up to the horizon or the last day."""
    if data.has("kpi_period"):
        start, end = data.row(
            "select min(period_start), max(period_end) from kpi_period "
            "where period = 'current' and period_start >= ? and period_end <= ?",
            [FIRST_DRAWABLE_DAY, LAST_DRAWABLE_DAY],
        )
        if start and end:
            return start, end
    first, last = date_bounds(data)
    horizon = data.snapshot.horizon_date
    return default_period(first, min(horizon, last) if horizon and last else last)


def kpi_by_dimension(
    data: SnapshotData, kpi_name: str, dimension: str, filters: Filters, value_alias: str = "value"
) -> pl.DataFrame | None:
    """kpi_date, dimension_value, value, numerator, denominator of one KPI cut by one
    dimension within the date range, complete days only (dimensions other than location
    are not filterable)."""
    if not data.has("kpi_daily"):
        return None
    conditions = filter_conditions(filters, date_column="kpi_date")
    where, params = _where(conditions, "kpi_name = ?", "dimension = ?", "is_complete")
    return data.frame(
        f"""
        select kpi_date, dimension_value, value as {value_alias}, numerator, denominator
        from kpi_daily {where}
        order by kpi_date, dimension_value
        """,
        [kpi_name, dimension, *params],
    )


# -- exceptions ---------------------------------------------------------------------------


def exception_queue(
    data: SnapshotData, filters: Filters, exception_type: str | None = None
) -> pl.DataFrame | None:
    """Open exceptions as of the snapshot, ranked by impact (dates do not apply: it is a
    work list of what is open now)."""
    if not data.has("exception_queue"):
        return None
    conditions = filter_conditions(filters, location_columns=("location_id",))
    if exception_type:
        conditions.add("exception_type = ?", exception_type)
    where, params = _where(conditions)
    return data.frame(
        f"""
        select impact_rank, exception_type, workflow, location_id, sku, reference_id,
            opened_at, age_h, units, value_at_cost, detail, as_of
        from exception_queue {where}
        order by impact_rank
        """,
        params,
    )


def exception_summary(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """Open exceptions and their value at cost per workflow and exception type."""
    if not data.has("exception_queue"):
        return None
    conditions = filter_conditions(filters, location_columns=("location_id",))
    where, params = _where(conditions)
    return data.frame(
        f"""
        select workflow, exception_type, count(*) as exceptions,
            coalesce(sum(value_at_cost), 0) as value_at_cost
        from exception_queue {where}
        group by workflow, exception_type
        order by value_at_cost desc
        """,
        params,
    )


def exception_value_by_location(
    data: SnapshotData, filters: Filters, top: int = 15
) -> pl.DataFrame | None:
    """location_id, exception_type, exceptions, value_at_cost for the `top` locations by
    open exception value."""
    if not data.has("exception_queue"):
        return None
    conditions = filter_conditions(filters, location_columns=("location_id",))
    where, params = _where(conditions, "location_id is not null")
    return data.frame(
        f"""
        with by_type as (
            select location_id, exception_type, count(*) as exceptions,
                coalesce(sum(value_at_cost), 0) as value_at_cost
            from exception_queue {where}
            group by all
        ),
        worst as (
            select location_id from by_type group by location_id
            order by sum(value_at_cost) desc, location_id limit ?
        )
        select by_type.* from by_type inner join worst using (location_id)
        """,
        [*params, top],
    )


# -- orders and reservations --------------------------------------------------------------


def reservation_latencies(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """channel, latency_s of every confirmed reservation in the filters: the observations
    of the reservation latency KPIs (kpi_observations, complete days), cut as they are."""
    kpis = _catalog_kpis(data, "reservation_latency_p95_s")
    if not kpis or not data.has("kpi_observations"):
        return None
    cut = choose_cut(kpis[0], filters, resolve_locations(data, filters))
    conditions = _observation_conditions(kpis[0], cut, filters)
    if not cut.available:
        conditions.add("false")
    where, params = _where(conditions)
    return data.frame(
        "select channel, observation_value as latency_s "
        f"from kpi_observations {where} order by channel, latency_s",
        params,
    )


def reservation_latency_percentiles(data: SnapshotData, filters: Filters) -> KpiValues | None:
    """Reservation latency p50 and p95 over the window (the Overview tile's p95)."""
    kpis = _catalog_kpis(data, "reservation_latency_p50_s", "reservation_latency_p95_s")
    return None if kpis is None else kpi_values(data, kpis, filters)


def reservation_failure_reasons(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """kpi_date, reason_code, failures: failed reservations per day by reason."""
    rows = kpi_by_dimension(data, "reservation_failure_rate", "reason_code", filters)
    if rows is None:
        return None
    return rows.select(
        "kpi_date",
        pl.col("dimension_value").alias("reason_code"),
        pl.col("numerator").alias("failures"),
    )


_ORDER_LOCATIONS = ("fulfilment_location_id", "oversell_location_id")


def orders_by_day(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """order_date, channel, order_lines, orders, oversells, orders_with_exception."""
    if not data.has("fct_order_lines"):
        return None
    conditions = filter_conditions(
        filters,
        date_column="order_date",
        channel_column="channel",
        location_columns=_ORDER_LOCATIONS,
    )
    where, params = _where(conditions, "order_date is not null")
    return data.frame(
        f"""
        select order_date, coalesce(channel, 'unknown') as channel, count(*) as order_lines,
            count(distinct order_id) as orders,
            count(*) filter (where is_oversold) as oversells,
            count(distinct order_id) filter (where order_has_exception) as orders_with_exception
        from fct_order_lines {where}
        group by all
        order by order_date, channel
        """,
        params,
    )


def oversells_by_sku_day(
    data: SnapshotData, filters: Filters, top: int = 20
) -> pl.DataFrame | None:
    """order_date, sku, oversells for the `top` most oversold SKUs. Promotions are not
    flagged in the marts; they show up as many SKUs overselling on the same days."""
    if not data.has("fct_order_lines"):
        return None
    conditions = filter_conditions(
        filters,
        date_column="order_date",
        channel_column="channel",
        location_columns=_ORDER_LOCATIONS,
    )
    where, params = _where(conditions, "is_oversold", "order_date is not null")
    return data.frame(
        f"""
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
        [*params, top],
    )


# -- transfers ----------------------------------------------------------------------------

_TRANSFER_FILTERS = {
    "date_column": "shipment_date",
    "location_columns": ("origin_location_id", "destination_location_id"),
}


def transfer_lanes(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """Per lane (origin -> destination) of shipped and received lines: lines, in_full,
    accuracy, short_units, cycle_p50_h, cycle_p95_h."""
    if not data.has("fct_transfers"):
        return None
    where, params = _where(
        filter_conditions(filters, **_TRANSFER_FILTERS),
        "shipped_at is not null",
        "received_at is not null",
    )
    return data.frame(
        f"""
        select origin_location_id as origin, destination_location_id as destination,
            count(*) as lines, count(*) filter (where is_received_in_full) as in_full,
            count(*) filter (where is_received_in_full) / count(*) as accuracy,
            coalesce(sum(-receipt_variance_quantity) filter (where is_received_short), 0)
                as short_units,
            quantile_cont(cycle_time_h, 0.5) as cycle_p50_h,
            quantile_cont(cycle_time_h, 0.95) as cycle_p95_h
        from fct_transfers {where}
        group by all
        order by accuracy, lines desc
        """,
        params,
    )


def transfer_accuracy_by_origin(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """shipment_date, origin, lines, accuracy: daily accuracy of each shipping location."""
    if not data.has("fct_transfers"):
        return None
    where, params = _where(
        filter_conditions(filters, **_TRANSFER_FILTERS),
        "shipped_at is not null",
        "received_at is not null",
    )
    return data.frame(
        f"""
        select shipment_date, origin_location_id as origin, count(*) as lines,
            count(*) filter (where is_received_in_full) / count(*) as accuracy
        from fct_transfers {where}
        group by all
        order by shipment_date, origin
        """,
        params,
    )


def transfer_status_counts(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    if not data.has("fct_transfers"):
        return None
    conditions = filter_conditions(filters, location_columns=_TRANSFER_FILTERS["location_columns"])
    if filters.start:
        conditions.add("cast(requested_at as date) >= ?", filters.start)
    if filters.end:
        conditions.add("cast(requested_at as date) <= ?", filters.end)
    where, params = _where(conditions)
    return data.frame(
        f"select transfer_status as status, count(*) as lines from fct_transfers {where} "
        "group by all order by lines desc",
        params,
    )


# -- returns ------------------------------------------------------------------------------

_RETURN_FILTERS = {
    "date_column": "receipt_date",
    "channel_column": "channel",
    "location_columns": ("location_id",),
}


def return_disposition_by_location(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """location_id, returns, p50_h, p95_h of inspected returns received in the range."""
    if not data.has("fct_returns"):
        return None
    where, params = _where(
        filter_conditions(filters, **_RETURN_FILTERS), "disposition_time_h is not null"
    )
    return data.frame(
        f"""
        select location_id, count(*) as returns,
            quantile_cont(disposition_time_h, 0.5) as p50_h,
            quantile_cont(disposition_time_h, 0.95) as p95_h
        from fct_returns {where}
        group by location_id
        order by p95_h desc
        """,
        params,
    )


def return_disposition_by_day(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """receipt_date, returns, p50_h, p95_h."""
    if not data.has("fct_returns"):
        return None
    where, params = _where(
        filter_conditions(filters, **_RETURN_FILTERS), "disposition_time_h is not null"
    )
    return data.frame(
        f"""
        select receipt_date, count(*) as returns,
            quantile_cont(disposition_time_h, 0.5) as p50_h,
            quantile_cont(disposition_time_h, 0.95) as p95_h
        from fct_returns {where}
        group by receipt_date
        order by receipt_date
        """,
        params,
    )


def stalled_cases(
    data: SnapshotData, filters: Filters, workflow: str | None = None
) -> pl.DataFrame | None:
    """Stalled cases as of the snapshot (dates do not apply), oldest first."""
    if not data.has("stalled_cases"):
        return None
    conditions = filter_conditions(filters, location_columns=("location_id",))
    if workflow:
        conditions.add("workflow = ?", workflow)
    where, params = _where(conditions)
    return data.frame(
        f"""
        select workflow, case_key, location_id, sku, stage, last_event_at, age_h, sla_hours,
            hours_over_sla, units, value_at_cost
        from stalled_cases {where}
        order by age_h desc
        """,
        params,
    )


# -- reconciliation -----------------------------------------------------------------------


def _catalog_kpis(data: SnapshotData, *names: str) -> list[Kpi] | None:
    catalog = kpi_catalog(data)
    return None if catalog is None else [catalog[name] for name in names if name in catalog]


def posting_lag_by_day(data: SnapshotData, filters: Filters) -> KpiValues | None:
    """reconciliation_time_p50_h and _p95_h per kpi_date (the day of the move)."""
    kpis = _catalog_kpis(data, "reconciliation_time_p50_h", "reconciliation_time_p95_h")
    return None if kpis is None else kpi_values(data, kpis, filters, ("kpi_date",))


def posting_lag_by_event_type(data: SnapshotData, filters: Filters) -> KpiValues | None:
    """reconciliation_time_p95_h per event_type over the window (recomputed from the
    postings), observations = postings."""
    kpis = _catalog_kpis(data, "reconciliation_time_p95_h")
    return None if kpis is None else kpi_values(data, kpis, filters, ("event_type",))


def unreconciled_by_day(data: SnapshotData, filters: Filters) -> KpiValues | None:
    """unreconciled_events per kpi_date and source_system, with the window's total."""
    kpis = _catalog_kpis(data, "unreconciled_events")
    if kpis is None:
        return None
    return kpi_values(data, kpis, filters, ("kpi_date", "source_system"), totals=True)


def order_exception_rate_by_channel(data: SnapshotData, filters: Filters) -> KpiValues | None:
    """order_exception_rate per kpi_date and channel, with the window's overall rate (the
    Overview tile's)."""
    kpis = _catalog_kpis(data, "order_exception_rate")
    if kpis is None:
        return None
    return kpi_values(data, kpis, filters, ("kpi_date", "channel"), totals=True)


def unreconciled_backlog(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """age_bucket, bucket_order, event_type, events, units, value_at_cost of the open backlog."""
    if not data.has("exception_queue"):
        return None
    conditions = filter_conditions(filters, location_columns=("location_id",))
    where, params = _where(conditions, "exception_type = 'unreconciled_event'")
    return data.frame(
        f"""
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
        params,
    )


# -- integrations -------------------------------------------------------------------------


def api_failure_rate_by_day(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """kpi_date, integration, failure_rate, calls."""
    rows = kpi_by_dimension(data, "api_failure_rate", "integration", filters)
    if rows is None:
        return None
    return rows.select(
        "kpi_date",
        pl.col("dimension_value").alias("integration"),
        pl.col("value").alias("failure_rate"),
        pl.col("denominator").alias("calls"),
    )


def integration_disruptions(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    if not data.has("fct_integration_disruptions"):
        return None
    where, params = _where(filter_conditions(filters, date_column="disruption_date"))
    return data.frame(
        f"""
        select disruption_id, integration, started_at, last_failed_at, recovered_at,
            is_recovered, failed_calls, recovery_time_min
        from fct_integration_disruptions {where}
        order by started_at
        """,
        params,
    )


def feed_lag_by_day(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """kpi_date, source_system, lag_p95_min."""
    rows = kpi_by_dimension(data, "source_delivery_lag_p95_min", "source_system", filters)
    if rows is None:
        return None
    return rows.select(
        "kpi_date",
        pl.col("dimension_value").alias("source_system"),
        pl.col("value").alias("lag_p95_min"),
    )


# -- process map --------------------------------------------------------------------------


def process_transitions(data: SnapshotData) -> pl.DataFrame | None:
    """The directly-follows graph of every workflow (whole history: no filter applies)."""
    if not data.has("process_transitions"):
        return None
    return data.frame(
        """
        select workflow, from_activity, to_activity, transition_count, case_count,
            p50_duration_s, p95_duration_s
        from process_transitions
        order by workflow, transition_count desc
        """
    )


# -- location risk ------------------------------------------------------------------------

# Columns of location_risk that are keys or scores, never driver features.
RISK_KEY_COLUMNS = frozenset(
    {
        "location_id",
        "location_type",
        "region",
        "category",
        "risk_score",
        "risk_rank",
        "reason",
        "top_features",
        "scored_at",
        "as_of",
        "window_days",
        "combined_score",
        "isolation_score",
        "knn_score",
        "isolation_percentile",
        "knn_percentile",
        "model_rank",
    }
)
# The risk model's features (SPEC 6), in its order. Named here rather than imported: the
# dashboards never import ml/. Other rate-like columns are shown too (see below).
KNOWN_RISK_FEATURES = (
    "count_discrepancy_rate",
    "count_shortage_units_per_count",
    "count_discrepancy_units_per_count",
    "shrink_units_per_throughput",
    "damage_units_per_throughput",
    "inbound_short_receipt_rate",
    "outbound_short_receipt_rate",
    "reservation_failure_rate",
    "oversell_rate",
    "negative_stock_share",
    "phantom_share",
    "feed_lag_p95_min",
    "stalled_return_rate",
)
FEATURE_SUFFIXES = ("_rate", "_share", "_per_count", "_per_throughput", "_p95_min")
NUMERIC_TYPES = ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "DECIMAL", "HUGEINT", "SMALLINT")


def risk_feature_columns(data: SnapshotData) -> list[str]:
    """Driver features of location_risk: the model's known features, then any other numeric
    rate-like column (supporting counts such as `counts` or `throughput_units` are left out)."""
    if not data.has("location_risk"):
        return []
    numeric = {
        name
        for name, kind, *_ in data.con.execute("describe location_risk").fetchall()
        if kind.upper().startswith(NUMERIC_TYPES) and name not in RISK_KEY_COLUMNS
    }
    known = [name for name in KNOWN_RISK_FEATURES if name in numeric]
    others = sorted(name for name in numeric - set(known) if name.endswith(FEATURE_SUFFIXES))
    return known + others


def location_risk(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """One row per location, riskiest first: location_id, region, location_type, risk_score,
    risk_rank, reason, drivers, scored_at and the feature columns.

    Tolerates the optional columns being absent (region comes from dim_locations then) and
    a location x category table (the riskiest category row stands for the location).
    """
    if not data.has("location_risk"):
        return None
    columns = set(data.columns("location_risk"))
    has_dims = data.has("dim_locations")
    region = "risk.region" if "region" in columns else ("dims.region" if has_dims else "null")
    location_type = (
        "risk.location_type"
        if "location_type" in columns
        else ("dims.location_type" if has_dims else "null")
    )
    drivers = "array_to_string(risk.top_features, ', ')" if "top_features" in columns else "null"
    features = risk_feature_columns(data)
    select = [
        "risk.location_id",
        f"{region} as region",
        f"{location_type} as location_type",
        "risk.risk_score",
        "risk.reason" if "reason" in columns else "null as reason",
        f"{drivers} as drivers",
        (
            "risk.scored_at"
            if "scored_at" in columns
            else "risk.as_of as scored_at"
            if "as_of" in columns
            else "null as scored_at"
        ),
        "risk.risk_rank as model_rank" if "risk_rank" in columns else "null as model_rank",
        *(f'risk."{name}"' for name in features),
    ]
    join = (
        "left join dim_locations as dims on risk.location_id = dims.location_id" if has_dims else ""
    )
    conditions = filter_conditions(filters, location_columns=("risk.location_id",))
    where, params = _where(conditions)
    one_per_location = (
        (
            "qualify row_number() over (partition by risk.location_id "
            "order by risk.risk_score desc) = 1"
        )
        if "category" in columns
        else ""
    )
    ranked = data.frame(
        f"""
        select {", ".join(select)}
        from location_risk as risk {join}
        {where}
        {one_per_location}
        """,
        params,
    )
    # Rank within what the planner sees, so "#1" is the riskiest of the selection; the
    # model's rank breaks ties of the calibrated score (it saturates at 1).
    return (
        ranked.sort(
            ["risk_score", "model_rank", "location_id"],
            descending=[True, False, False],
            nulls_last=True,
        )
        .with_row_index("risk_rank", offset=1)
        .with_columns(pl.col("risk_rank").cast(pl.Int64))
        .drop("model_rank")
    )


def location_category_risk(
    data: SnapshotData, filters: Filters, top: int = 100
) -> pl.DataFrame | None:
    """The riskiest location x category rows: location_id, category, risk_score, reason."""
    if not data.has("location_category_risk"):
        return None
    columns = set(data.columns("location_category_risk"))
    reason = "reason" if "reason" in columns else "null as reason"
    order = "risk_score desc, risk_rank" if "risk_rank" in columns else "risk_score desc"
    where, params = _where(filter_conditions(filters, location_columns=("location_id",)))
    return data.frame(
        f"""
        select location_id, category, risk_score, {reason}
        from location_category_risk {where}
        order by {order}, location_id, category
        limit ?
        """,
        [*params, top],
    )


# -- cycle counts -------------------------------------------------------------------------

# Results the cycle-count job writes on a request once its counts are back; when a table
# lacks them they are derived from fct_cycle_counts the same way.
JOB_RESULT_COLUMNS = {
    "counted_at": "last_counted_at",
    "skus_counted": "counted_skus",
    "skus_inaccurate": "inaccurate_skus",
    "value_corrected": "found_discrepancy_value",
}


def _requested_skus_sql(data: SnapshotData) -> str:
    """SQL for each request's SKUs in priority order: from the request lines table, else
    from a `skus` list column on the request, else none."""
    if data.has("cycle_count_request_lines"):
        return (
            "(select list(line.sku order by line.priority, line.sku) "
            "from cycle_count_request_lines as line "
            "where line.request_id = requests.request_id)"
        )
    if "skus" in data.columns("cycle_count_requests"):
        return "requests.skus"
    return "[]::varchar[]"


def cycle_count_requests(data: SnapshotData, filters: Filters) -> pl.DataFrame | None:
    """The requests, newest first: request_id, location_id, requested_at, status, reason,
    expected_discrepancy_value, requested_skus (list, priority order) and the results
    counted_skus, inaccurate_skus, found_discrepancy_value (value at cost corrected) and
    last_counted_at (null until counts come back).

    Results are the job's own columns when the table has them; otherwise counts belong to a
    request when they are at its location, of one of its SKUs, and not earlier than it.
    """
    if not data.has("cycle_count_requests"):
        return None
    columns = set(data.columns("cycle_count_requests"))
    optional = {
        "status": "coalesce(requests.status, 'open')",
        "reason": "requests.reason",
        "expected_discrepancy_value": "cast(requests.expected_discrepancy_value as double)",
    }
    chosen = [
        f"{expr} as {name}" if name in columns else f"null as {name}"
        for name, expr in optional.items()
    ]
    job_results = [
        f"requests.{column} as {alias}"
        for column, alias in JOB_RESULT_COLUMNS.items()
        if column in columns
    ]
    conditions = filter_conditions(filters, location_columns=("requests.location_id",))
    where, params = _where(conditions)
    requests = data.frame(
        f"""
        select requests.request_id, requests.location_id,
            cast(requests.requested_at as timestamp) as requested_at, {", ".join(chosen)},
            {_requested_skus_sql(data)} as skus {"".join(", " + c for c in job_results)}
        from cycle_count_requests as requests
        {where}
        order by requested_at desc, request_id
        """,
        params,
    )
    requests = requests.with_columns(requested_skus=_sku_list(requests["skus"])).drop("skus")
    if len(job_results) == len(JOB_RESULT_COLUMNS):
        return requests
    return _with_derived_results(
        data,
        requests.drop(
            [alias for alias in JOB_RESULT_COLUMNS.values() if alias in requests.columns]
        ),
    )


def _with_derived_results(data: SnapshotData, requests: pl.DataFrame) -> pl.DataFrame:
    no_results = requests.with_columns(
        last_counted_at=pl.lit(None, pl.Datetime("us")),
        counted_skus=pl.lit(None, pl.Int64),
        inaccurate_skus=pl.lit(None, pl.Int64),
        found_discrepancy_value=pl.lit(None, pl.Float64),
    )
    if not data.has("fct_cycle_counts") or requests.is_empty():
        return no_results
    wanted = requests.select(
        "request_id", "location_id", "requested_at", pl.col("requested_skus").alias("sku")
    ).explode("sku")
    counts = data.frame(
        """
        select location_id, sku, cast(counted_at as timestamp) as counted_at, is_accurate,
            abs(variance_value_at_cost) as value
        from fct_cycle_counts
        where list_contains(?::varchar[], location_id)
        """,
        [sorted(set(requests["location_id"].to_list()))],
    )
    results = (
        wanted.join(counts, on=["location_id", "sku"])
        .filter(pl.col("counted_at") >= pl.col("requested_at"))
        .sort("counted_at")
        .group_by("request_id", "sku")
        .first()  # the first count answering the request
        .group_by("request_id")
        .agg(
            last_counted_at=pl.col("counted_at").max(),
            counted_skus=pl.len().cast(pl.Int64),
            inaccurate_skus=(~pl.col("is_accurate")).sum().cast(pl.Int64),
            found_discrepancy_value=pl.col("value").sum().cast(pl.Float64),
        )
    )
    return requests.join(results, on="request_id", how="left")


def _parse_sku_text(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        items = json.loads(text)
    except ValueError:
        return [part.strip() for part in text.split(",") if part.strip()]
    items = items if isinstance(items, list) else [items]
    return [str(item.get("sku")) if isinstance(item, dict) else str(item) for item in items]


def _sku_list(skus: pl.Series) -> pl.Series:
    """Requested SKUs as list[str] whether the column holds strings, structs with a `sku`
    field, or JSON / comma-separated text."""
    dtype = skus.dtype
    if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
        return skus.list.eval(pl.element().struct.field("sku").cast(pl.String))
    if isinstance(dtype, pl.List):
        return skus.cast(pl.List(pl.String))
    if dtype == pl.String:
        return pl.Series(
            skus.name, [_parse_sku_text(t) for t in skus.to_list()], dtype=pl.List(pl.String)
        )
    return pl.Series(skus.name, [[] for _ in range(len(skus))], dtype=pl.List(pl.String))
