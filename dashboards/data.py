"""The snapshot as the pages query it: one request's cursor and manifest (`SnapshotData`), the
guard that turns a table the snapshot lacks into an empty state (`needs`), and the choices of
the filter bar.

A query is a function (snapshot data, filters, ...) -> polars frame. Filter values travel
only as bound parameters (see `filters.Conditions`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import ParamSpec, TypeVar

import duckdb
import polars as pl

from omnistock.tables import Table

from .desk import Desk
from .filters import UNKNOWN, Conditions, Filters, filter_conditions
from .snapshot import Snapshot, SnapshotReader

TEMPORAL_TYPES = frozenset(
    {"date", "timestamp", "timestamp with time zone", "timestamp_s", "timestamp_ms", "timestamp_ns"}
)
# The days the dashboards can draw and a planner can pick: Python's date range.
FIRST_DRAWABLE_DAY, LAST_DRAWABLE_DAY = date.min, date.max


@dataclass(frozen=True)
class Missing:
    """What a query returns when the snapshot lacks a table it reads (the risk and
    cycle-count tables arrive later than the marts): the page shows an empty state naming it."""

    table: str


class SnapshotDrift(RuntimeError):
    """A snapshot table lacks columns its declaration (omnistock/tables.py) promises."""


@dataclass
class SnapshotData:
    """One request's view of the snapshot: a private cursor and the manifest; and the desk
    (the work log and the active alerts beside the snapshots), None when not served."""

    con: duckdb.DuckDBPyConnection
    snapshot: Snapshot
    desk: Desk | None = None

    def has(self, *tables: str) -> bool:
        return all(table in self.snapshot.tables for table in tables)

    def columns(self, table: str) -> list[str]:
        return list(self.snapshot.manifest.get("tables", {}).get(table, {}).get("columns", []))

    def frame(self, sql: str, params: Sequence = ()) -> pl.DataFrame:
        return self._relation(sql, params).pl()

    def select(self, sql: str, condition: tuple[str, list], *params) -> pl.DataFrame:
        """`frame` of `sql` with its `{where}` replaced by a where clause: `condition` is the
        clause and its parameters (as `where` and `at_locations` give them); `params` bind
        after the clause's."""
        clause, clause_params = condition
        return self.frame(sql.replace("{where}", clause), [*clause_params, *params])

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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _drawable(name: str) -> str:
    column = _quote(name)
    return (
        f"case when cast({column} as date) between date '{FIRST_DRAWABLE_DAY}' "
        f"and date '{LAST_DRAWABLE_DAY}' then {column} end as {column}"
    )


@contextmanager
def snapshot_data(
    reader: SnapshotReader, desk: Desk | None = None
) -> Iterator[SnapshotData | None]:
    """The current snapshot for one request (None before the first publish); the cursor is
    closed afterwards."""
    opened = reader.open()
    if opened is None:
        yield None
        return
    cursor, snapshot = opened
    try:
        yield SnapshotData(cursor, snapshot, desk)
    finally:
        cursor.close()


P = ParamSpec("P")
R = TypeVar("R")


def needs(*tables: str | Table) -> Callable[[Callable[P, R]], Callable[P, R | Missing]]:
    """The query runs when the snapshot has every one of `tables`, else it returns `Missing`.

    A declared table (an `omnistock.tables.Table`, which its producer writes) must also have
    every declared column: a snapshot that does not is an error, not an empty state.
    """

    def guard(query: Callable[P, R]) -> Callable[P, R | Missing]:
        @functools.wraps(query)
        def guarded(data: SnapshotData, *args: P.args, **kwargs: P.kwargs) -> R | Missing:
            for table in tables:
                name = table.name if isinstance(table, Table) else table
                if not data.has(name):
                    return Missing(name)
                if isinstance(table, Table):
                    _check_declared(data, table)
            return query(data, *args, **kwargs)

        return guarded

    return guard


def _check_declared(data: SnapshotData, table: Table) -> None:
    present = set(data.columns(table.name))
    lacking = [column for column in table.column_names if column not in present]
    if lacking:
        raise SnapshotDrift(
            f"the snapshot's {table.name} lacks the columns {lacking} that "
            f"omnistock/tables.py declares for {table.qualified_name}"
        )


def where(conditions: Conditions, *fixed: str) -> tuple[str, list]:
    """A where clause of fixed predicates plus filter conditions, and its parameters."""
    clauses = list(fixed) + conditions.clauses
    return ("where " + " and ".join(clauses)) if clauses else "", conditions.params


def at_locations(
    filters: Filters, *fixed: str, column: str = "location_id", **equal: str | None
) -> tuple[str, list]:
    """`where` of the rows whose `column` is a selected location (in a selected region) that
    meet the `fixed` predicates and equal each given value of `equal` (None: any)."""
    conditions = filter_conditions(filters, location_columns=(column,))
    for name, value in equal.items():
        if value is not None:
            conditions.add(f"{name} = ?", value)
    return where(conditions, *fixed)


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
        # lines without a channel are cut as "unknown" in the KPIs and charts: offered too
        options["channels"] = data.frame(
            f"select distinct coalesce(channel, '{UNKNOWN}') as channel from fct_order_lines "
            f"order by channel = '{UNKNOWN}', channel"
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
    rows = data.select(
        "select location_id from dim_locations {where} order by 1", at_locations(filters)
    )
    return tuple(rows["location_id"].to_list())
