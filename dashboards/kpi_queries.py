"""The KPIs as every page reads them: the dbt catalog and the one aggregation over a window
and the filters (`kpi_values`), so a tile, the chart beside it and the report read the same
rows. What a KPI is and how it reads: `kpis`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from .data import (
    FIRST_DRAWABLE_DAY,
    LAST_DRAWABLE_DAY,
    Missing,
    SnapshotData,
    date_bounds,
    needs,
    resolve_locations,
    where,
)
from .filters import Conditions, Filters, default_period, filter_conditions
from .kpis import Kpi, KpiCut, choose_cut, format_change

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


@needs("kpi_catalog")
def kpi_catalog(data: SnapshotData) -> dict[str, Kpi]:
    """The dbt catalog's KPIs by name, in display order."""
    rows = data.frame("select * from kpi_catalog order by display_order, kpi_name")
    return {row["kpi_name"]: Kpi.from_catalog(row) for row in rows.iter_rows(named=True)}


def headline_kpis(data: SnapshotData) -> list[Kpi] | Missing:
    catalog = kpi_catalog(data)
    if isinstance(catalog, Missing):
        return catalog
    return [kpi for kpi in catalog.values() if kpi.is_headline]


def _complete_days(filters: Filters) -> Conditions:
    """The complete days (on or before the data horizon's day) of the filters' dates."""
    conditions = Conditions().add("is_complete")
    if filters.start:
        conditions.add("kpi_date >= ?", filters.start)
    if filters.end:
        conditions.add("kpi_date <= ?", filters.end)
    return conditions


def observation_conditions(
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
        conditions = observation_conditions(kpi, cut, filters, breakdown)
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
    clause = conditions.where()
    if kpi.aggregation == "level" and "kpi_date" not in by:
        # a level is a stock, not a flow: the window's last day with rows stands
        clause = f"{clause} and kpi_date = (select max(kpi_date) from {source} {clause})"
        params = [kpi.name, *conditions.params, *conditions.params]
    else:
        params = [kpi.name, *conditions.params]
    group_by = "group by " + ", ".join(f'"{key}"' for key in by) if by else ""
    select = ", ".join(["? as kpi_name", *keys])
    return (
        f"select {select}, cast({value} as double) as value, "
        f"cast({observations} as double) as observations from {source} {clause} {group_by}",
        params,
    )


@needs("kpi_daily")
def kpi_values(
    data: SnapshotData,
    kpis: Sequence[Kpi | str],
    filters: Filters,
    by: Sequence[str] = (),
    *,
    totals: bool = False,
) -> KpiValues | Missing:
    """The KPIs (catalog rows, or the names of catalog KPIs) under the filters (dates,
    channel, region, location), per `by` key (kpi_date and / or one dimension) or over the
    whole window: the one aggregation every tile, the chart beside it and the report use, so
    they read the same rows. Days after the data horizon are incomplete and never counted."""
    if any(isinstance(kpi, str) for kpi in kpis):
        catalog = kpi_catalog(data)
        if isinstance(catalog, Missing):
            return catalog
        kpis = [catalog[kpi] if isinstance(kpi, str) else kpi for kpi in kpis]
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


@needs("kpi_daily")
def kpi_by_dimension(
    data: SnapshotData, kpi_name: str, dimension: str, filters: Filters, **measures: str
) -> pl.DataFrame:
    """kpi_date, the dimension's value (named after it) and the `measures` of one KPI cut by
    one dimension, complete days of the date range only; `measures` names the columns of
    kpi_daily to read (value, numerator, denominator) as the columns to return, e.g.
    `kpi_by_dimension(data, "api_failure_rate", "integration", filters, value="failure_rate")`.
    Dimensions other than location are not filterable."""
    conditions = filter_conditions(filters, date_column="kpi_date")
    clause, params = where(conditions, "kpi_name = ?", "dimension = ?", "is_complete")
    selected = ", ".join(f'{column} as "{alias}"' for column, alias in measures.items())
    return data.frame(
        f"""
        select kpi_date, dimension_value as "{dimension}", {selected}
        from kpi_daily {clause}
        order by kpi_date, dimension_value
        """,
        [kpi_name, dimension, *params],
    )


@dataclass(frozen=True)
class Headline:
    """The catalog's headline KPIs over the filters' dates and over the equally long period
    just before (None when the dates are open-ended): the Overview tiles and the report's
    table."""

    kpis: list[Kpi]
    current: KpiValues
    previous: KpiValues | None

    def previous_value(self, kpi: Kpi) -> float | None:
        return self.previous.value(kpi.name) if self.previous else None

    def change(self, kpi: Kpi) -> tuple[str, str]:
        """(text, tone) of the change vs the previous period."""
        return format_change(kpi, self.current.value(kpi.name), self.previous_value(kpi))


def headline(data: SnapshotData, filters: Filters) -> Headline | Missing:
    kpis = headline_kpis(data)
    if isinstance(kpis, Missing):
        return kpis
    current = kpi_values(data, kpis, filters)
    if isinstance(current, Missing):
        return current
    previous_period = filters.previous_period()
    previous = previous_period and kpi_values(data, kpis, previous_period)
    return Headline(kpis, current, previous)
