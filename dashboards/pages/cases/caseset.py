"""What a list of cases is (`CaseSet`) and how it is read (`cases`): the rows that make a
figure's numerator, or the cases a duration figure measures, each naming the case its
timeline shows. A set reads its table under the same where clause as the figure it explains
(so the list and the figure count the same rows), narrowed by its facets: URL parameters
bound as equalities on the set's own columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import polars as pl

from dashboards.data import Missing, SnapshotData
from dashboards.filters import Filters
from dashboards.kpi_queries import KpiValues, kpi_catalog, kpi_values

# What every set selects to name its cases: the workflow and case_key of the case timeline,
# or the id of an event whose case the timeline finds (e.g. an unposted stock move); all
# three null where the rows are no workflow case (a cycle count, a failed API call).
CASE_COLUMNS = ("case_workflow", "case_key", "case_event")
NO_CASE = "null as case_workflow, null as case_key, null as case_event"
# The column that says where a case falls against the figure's percentiles.
BAND = "band"


def shown(spec: str) -> dict[str, str]:
    """The columns a list shows, in order, from "column=header; column; ..." (a column
    without a header is its own)."""
    pairs = (part.partition("=") for part in spec.split(";") if part.strip())
    return {name.strip(): header.strip() or name.strip() for name, _, header in pairs}


def line_case(workflow: str, id_column: str) -> str:
    """The CASE_COLUMNS of a row of one line of an order, transfer or return: its timeline
    is the case `<id>|<sku>` of the workflow."""
    return (
        f"'{workflow}' as case_workflow, {id_column} || '|' || sku as case_key, null as case_event"
    )


@dataclass(frozen=True)
class CaseSet:
    """One list of cases: rows of `table` under a where clause that `where` writes from the
    filters, ordered by `order`; `columns` is what the table shows (column -> header), each
    row opening its case's timeline; `facets` maps URL parameters to the columns they narrow.

    The rows are `case` (SQL naming CASE_COLUMNS), the shown and faceted columns (a column of
    `computed` as its SQL expression) from `table`; a set whose rows need more (a join)
    writes its whole `select`, with a `{where}` to fill, and names the other tables it
    reads in `needs`.

    A set of the cases a duration KPI measures names the KPIs (`percentiles`, e.g. its p50
    and p95) and the column holding each case's duration (`measure`): each row then says in
    `band` where it falls against the KPIs' values over the filters (kpi_values: the tile's
    and the figure's values, never recomputed here). With `kpi_days` the dates stop at the
    data horizon's day, as every KPI's do (later days are incomplete)."""

    slug: str
    title: str
    explains: str  # which figure or KPI counts these rows
    page: str  # slug of the page that explains them
    table: str
    order: str
    columns: Mapping[str, str]
    # the where clause of the filters (and the rows' own rules); by default none applies
    where: Callable[[Filters], tuple[str, list]] = lambda _filters: ("", [])
    facets: Mapping[str, str] = field(default_factory=dict)
    case: str = NO_CASE
    computed: Mapping[str, str] = field(default_factory=dict)
    select: str | None = None
    needs: tuple[str, ...] = ()
    percentiles: tuple[str, ...] = ()
    measure: str | None = None
    kpi_days: bool = False

    @property
    def sql(self) -> str:
        """The set's select, with the `{where}` to fill."""
        if self.select:
            return self.select
        measure = [self.measure] if self.measure else []
        names = dict.fromkeys([*self.columns, *self.facets.values(), *measure])
        selected = [
            f"{self.computed[name]} as {name}" if name in self.computed else name
            for name in names
            if name not in (*CASE_COLUMNS, BAND)
        ]
        return f"select {self.case}, {', '.join(selected)} from {self.table} {{where}}"


def kpi_filters(data: SnapshotData, case_set: CaseSet, filters: Filters) -> Filters:
    """The filters the set's rows are read under: with `kpi_days`, no day after the data
    horizon's (the days every KPI counts)."""
    horizon = data.snapshot.horizon_date
    if not case_set.kpi_days or horizon is None:
        return filters
    return replace(filters, end=min(filters.end, horizon) if filters.end else horizon)


def figure_percentiles(
    data: SnapshotData, case_set: CaseSet, filters: Filters
) -> KpiValues | Missing | None:
    """The values of the set's percentile KPIs over the filters (None for a set without)."""
    if not case_set.percentiles:
        return None
    return kpi_values(data, case_set.percentiles, kpi_filters(data, case_set, filters))


def _banded(
    data: SnapshotData, case_set: CaseSet, rows: pl.DataFrame, values: KpiValues | Missing
) -> pl.DataFrame:
    """`rows` with `band`: "above p95" when the case's measure is above the p95 KPI's value,
    else "above p50" when above the p50's, else "p50 or below" (null without a value)."""
    catalog = kpi_catalog(data)
    known = [] if isinstance(values, Missing) else case_set.percentiles
    ranked = sorted(
        ((catalog[name].percentile, values.value(name)) for name in known),
        key=lambda pair: pair[0],
        reverse=True,
    )
    ranked = [(percentile, value) for percentile, value in ranked if value is not None]
    if not ranked:
        return rows.with_columns(pl.lit(None, pl.String).alias(BAND))
    measure = pl.col(case_set.measure)
    band = pl.when(measure.is_null()).then(pl.lit(None, pl.String))
    for percentile, value in ranked:
        band = band.when(measure > value).then(pl.lit(f"above p{percentile * 100:g}"))
    lowest = ranked[-1][0]
    return rows.with_columns(band.otherwise(pl.lit(f"p{lowest * 100:g} or below")).alias(BAND))


def cases(data: SnapshotData, case_set: CaseSet, filters: Filters) -> pl.DataFrame | Missing:
    """The set's rows under the filters and the facets the URL gives."""
    for table in (case_set.table, *case_set.needs):
        if not data.has(table):
            return Missing(table)
    clause, params = case_set.where(kpi_filters(data, case_set, filters))
    facets = [
        (column, value)
        for facet, column in case_set.facets.items()
        if (value := filters.param(facet)) is not None
    ]
    narrowed = " and ".join(f'"{column}" = ?' for column, _ in facets)
    rows = data.frame(
        f"select * from ({case_set.sql.replace('{where}', clause)}) as cases "
        f"{'where ' + narrowed if narrowed else ''} order by {case_set.order}",
        [*params, *(value for _, value in facets)],
    )
    values = figure_percentiles(data, case_set, filters)
    return rows if values is None else _banded(data, case_set, rows, values)
