"""Small helpers for writing analytic results (polars frames) into the DuckDB warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from omnistock.config import duckdb_config


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file with Omnistock's DuckDB settings (memory limit,
    threads: omnistock.config.duckdb_config)."""
    return duckdb.connect(str(path), read_only=read_only, config=duckdb_config())


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def replace_table(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pl.DataFrame
) -> int:
    """Replace `schema.table` with the frame's rows (identifiers are ours, never user input)."""
    con.execute(f"create schema if not exists {schema}")
    arrow = frame.to_arrow()
    con.register("frame_to_write", arrow)
    try:
        con.execute(f"create or replace table {schema}.{table} as select * from frame_to_write")
    finally:
        con.unregister("frame_to_write")
    return frame.height


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pl.DataFrame | None:
    if not table_exists(con, schema, table):
        return None
    return con.sql(f"select * from {schema}.{table}").pl()
