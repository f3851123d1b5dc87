"""Small DuckDB helpers.

DuckDB 2's Python API refuses other work on a connection while a result is only partly fetched
(e.g. after `fetchone()`), so results are always fetched whole here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb


def literal(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    """The single value of a one-row, one-column result (e.g. an INSERT's row count)."""
    return con.execute(sql, params or []).fetchall()[0][0]


def row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    return con.execute(sql, params or []).fetchall()[0]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit on success; roll back on any error (also KeyboardInterrupt) and re-raise."""
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()
