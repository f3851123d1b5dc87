"""What a snapshot holds and how it leaves the warehouse: the tables the pages read (whole,
or a `Slice` of a table too large to publish whole), found in whichever schema holds them
and copied to Parquet inside one read transaction; and the data's clocks the manifest
records (its as_of and its horizon)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from omnistock.tables import (
    CYCLE_COUNT_REQUEST_LINES,
    CYCLE_COUNT_REQUESTS,
    LOCATION_CATEGORY_RISK,
    LOCATION_RISK,
)

# Everything the pages read, each a dbt model (or a table the risk and cycle-count jobs
# write). Bare names are looked up in any schema of the warehouse (marts first), so the risk
# and cycle-count tables are found where their jobs write them (today
# intelligence.location_risk and actions.cycle_count_requests).
DASHBOARD_TABLES: tuple[str, ...] = (
    "kpi_daily",
    "kpi_catalog",
    "kpi_observations",
    "kpi_period",
    "int_data_horizon",
    "dim_locations",
    "fct_order_lines",
    "fct_reservations",
    "fct_transfers",
    "fct_returns",
    "fct_cycle_counts",
    "fct_integration_disruptions",
    "int_erp_reconciliation",
    "process_transitions",
    "stalled_cases",
    "exception_queue",
    "alert_conditions",
    "kpi_movements",
    "int_source_watermarks",
    "case_events",
    *(
        table.name
        for table in (
            LOCATION_RISK,
            LOCATION_CATEGORY_RISK,
            CYCLE_COUNT_REQUESTS,
            CYCLE_COUNT_REQUEST_LINES,
        )
    ),
)
SCHEMA_PREFERENCE = ("marts", "main")


@dataclass(frozen=True)
class Slice:
    """The rows of a warehouse table (`source`, looked up as a bare name is) that meet
    `predicate`: SQL written here, never user input. For a table too large to publish whole
    of which the pages list only these rows (the numerator of a KPI)."""

    source: str
    predicate: str


# The slices the pages list: the stocked-out sku-location-days (stockout_rate's numerator;
# fct_stock_positions holds every sku-location-day, millions) and the failed API calls
# (api_failure_rate's numerator).
DASHBOARD_SLICES: dict[str, Slice] = {
    "stockout_positions": Slice("fct_stock_positions", "is_stockout"),
    "failed_api_calls": Slice("int_api_calls", "is_failed"),
}
# What `publish_snapshot` exports unless told: snapshot name -> relation or slice.
PUBLISHED: dict[str, str | Slice] = {
    **{name: name for name in DASHBOARD_TABLES},
    **DASHBOARD_SLICES,
}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _source(spec: str | Slice) -> str:
    return spec.source if isinstance(spec, Slice) else spec


def resolve_sources(
    con: duckdb.DuckDBPyConnection, tables: Iterable[str] | Mapping[str, str | Slice]
) -> dict[str, tuple[str, str] | None]:
    """snapshot name -> (schema, relation) in the warehouse, or None when it does not exist."""
    wanted = (
        {name: _source(spec) for name, spec in tables.items()}
        if isinstance(tables, Mapping)
        else {name: name for name in tables}
    )
    present = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database()"
    ).fetchall()
    schemas_by_table: dict[str, list[str]] = {}
    for schema, table in present:
        schemas_by_table.setdefault(table, []).append(schema)

    def preference(schema: str) -> tuple[int, str]:
        rank = SCHEMA_PREFERENCE.index(schema) if schema in SCHEMA_PREFERENCE else 99
        return rank, schema

    resolved: dict[str, tuple[str, str] | None] = {}
    for name, source in wanted.items():
        if "." in source:
            schema, table = source.split(".", 1)
            found = schema in schemas_by_table.get(table, [])
            resolved[name] = (schema, table) if found else None
        else:
            schemas = sorted(schemas_by_table.get(source, []), key=preference)
            resolved[name] = (schemas[0], source) if schemas else None
    return resolved


def write_parquet(con: duckdb.DuckDBPyConnection, select: str, path: Path, source: str) -> dict:
    """Write a query's rows to a Parquet file; its manifest entry."""
    con.execute(f"copy ({select}) to {quote_literal(str(path))} (format parquet, compression zstd)")
    written = f"select * from read_parquet({quote_literal(str(path))})"
    rows = con.execute(f"select count(*) from ({written})").fetchall()[0][0]
    columns = [row[0] for row in con.execute(f"describe {written}").fetchall()]
    return {"file": path.name, "rows": rows, "source": source, "columns": columns}


def export_tables(
    con: duckdb.DuckDBPyConnection,
    sources: dict[str, tuple[str, str] | None],
    staging: Path,
    tables: Iterable[str] | Mapping[str, str | Slice] = (),
) -> tuple[dict[str, dict], dict[str, Path]]:
    """Copy every found relation (the rows of a slice of `tables`) to Parquet inside one read
    transaction (one consistent view)."""
    slices = (
        {name: spec for name, spec in tables.items() if isinstance(spec, Slice)}
        if isinstance(tables, Mapping)
        else {}
    )
    exported: dict[str, dict] = {}
    staged: dict[str, Path] = {}
    reader = con.cursor()
    try:
        reader.execute("begin transaction")
        for name, source in sources.items():
            if source is None:
                continue
            relation = ".".join(quote_identifier(part) for part in source)
            select, origin = f"select * from {relation}", ".".join(source)
            if name in slices:
                select += f" where {slices[name].predicate}"
                origin += f" where {slices[name].predicate}"
            path = staging / f"{name}.parquet"
            exported[name] = write_parquet(reader, select, path, origin)
            staged[name] = path
        reader.execute("commit")
    except BaseException:
        reader.execute("rollback")
        raise
    finally:
        reader.close()
    return exported, staged


def data_as_of(reader: duckdb.DuckDBPyConnection, staged: dict[str, Path]) -> str | None:
    """The data's own clock: the marts' as_of (latest occurred_at), else the last KPI day."""
    for table, column in (
        ("exception_queue", "as_of"),
        ("stalled_cases", "as_of"),
        ("kpi_daily", "kpi_date"),
    ):
        if table in staged:
            path = quote_literal(str(staged[table]))
            value = reader.execute(f"select max({column}) from read_parquet({path})").fetchall()[0][
                0
            ]
            if value is not None:
                # DuckDB hands a day Python cannot hold (before year 1, after 9999) over as text
                return value if isinstance(value, str) else value.isoformat()
    return None


def data_horizon(reader: duckdb.DuckDBPyConnection, staged: dict[str, Path]) -> dict:
    """The data horizon (int_data_horizon): the last complete KPI day and its time."""
    if "int_data_horizon" not in staged:
        return {}
    path = quote_literal(str(staged["int_data_horizon"]))
    # one row; among stray copies the latest that Python can hold
    rows = reader.execute(
        f"select cast(horizon_date as varchar), cast(horizon_at as varchar) "
        f"from read_parquet({path}) "
        "where horizon_date between date '0001-01-01' and date '9999-12-31' "
        "order by horizon_at desc limit 1"
    ).fetchall()
    if not rows or rows[0][0] is None:
        return {}
    return {"horizon_date": rows[0][0], "horizon_at": rows[0][1]}
