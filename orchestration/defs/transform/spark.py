"""The dbt target of each engine, and the way back from a local Spark session to DuckDB.

`dbt_target()` is the profiles.yml output dbt runs against: the engine's (`duckdb`, or
`spark`: a local session), unless `DBT_TARGET` (dbt's own variable) names another output such
as `spark_cluster`.

The platform around dbt (risk model, cycle-count sensor, dashboards, the headline KPIs and
freshness checks in Dagster) reads the models from the DuckDB warehouse. When the models are
built on a local Spark session, its tables are Parquet folders in the session's warehouse
(`$OMNISTOCK_SPARK_DIR/warehouse/<schema>.db/<table>/`); `serve_spark_tables` copies them into
the DuckDB warehouse under the same names, so everything downstream reads what Spark built.
Views are not copied (Spark keeps no files for them; DuckDB's own views, if any, read the
copied tables). On a cluster the tables live in the cluster's catalog instead; serving them
from there is not built (docs/deployment.md, "Spark on a cluster").
"""

from __future__ import annotations

import os
from pathlib import Path

from omnistock.config import Settings
from omnistock.ingest.db import transaction
from omnistock.lake import get_engine, spark_dir
from omnistock.warehouse import connect

MODEL_SCHEMAS = ("staging", "intermediate", "marts")
SESSION_TARGET = "spark"  # the profiles.yml output of the local session


def dbt_target() -> str:
    return os.environ.get("DBT_TARGET") or get_engine()


def spark_table_dirs(spark_dir: Path, schemas=MODEL_SCHEMAS) -> dict[tuple[str, str], Path]:
    """(schema, table) -> folder of every table a local Spark session stored in `schemas`."""
    warehouse = Path(spark_dir) / "warehouse"
    tables = {}
    for schema in schemas:
        for folder in sorted((warehouse / f"{schema}.db").glob("*")):
            if folder.is_dir() and any(folder.glob("*.parquet")):
                tables[(schema, folder.name)] = folder
    return tables


def serve_spark_tables(settings: Settings) -> dict[str, int]:
    """Replace the DuckDB warehouse's model tables with the local Spark session's, in one
    transaction; returns the row count per `schema.table`. Spark writes timestamps as UTC
    instants: they come back as the naive UTC timestamps the DuckDB build has."""
    tables = spark_table_dirs(spark_dir(settings))
    counts = {}
    with connect(settings.warehouse) as con, transaction(con):
        for (schema, table), folder in tables.items():
            files = str(folder / "*.parquet")
            described = con.execute("describe select * from read_parquet(?)", [files]).fetchall()
            columns = ", ".join(
                f'timezone(\'UTC\', "{name}") as "{name}"'
                if kind == "TIMESTAMP WITH TIME ZONE"
                else f'"{name}"'
                for name, kind, *_ in described
            )
            con.execute(f"create schema if not exists {schema}")
            con.execute(
                f'create or replace table {schema}."{table}" as '
                f"select {columns} from read_parquet(?)",
                [files],
            )
            counts[f"{schema}.{table}"] = con.execute(
                f'select count(*) from {schema}."{table}"'
            ).fetchall()[0][0]
    return counts
