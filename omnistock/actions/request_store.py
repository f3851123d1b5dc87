"""The cycle-count request tables: requests, their prioritized SKU lines, and their status.

Declared in `omnistock.tables` (CYCLE_COUNT_REQUESTS, CYCLE_COUNT_REQUEST_LINES): the DDL is
the declaration's, and rows are conformed to it before they are written.

A request is `open` when written to the outbox and `counted` once cycle_count_completed events
for its location arrive after it was requested (the results: SKUs counted, how many were
wrong, the units and value corrected). "Wrong" and the variance are fct_cycle_counts'
is_accurate and variance_quantity / variance_value_at_cost (dbt owns the rule). The requests
table is also the cooldown's one record (`recent_requests`).
"""

from __future__ import annotations

import duckdb
import polars as pl

from omnistock.tables import CYCLE_COUNT_REQUEST_LINES, CYCLE_COUNT_REQUESTS
from omnistock.warehouse import table_exists

REQUESTS = CYCLE_COUNT_REQUESTS.qualified_name
LINES = CYCLE_COUNT_REQUEST_LINES.qualified_name
# What a request is before its counts come back.
_OPEN = {
    "status": pl.lit("open"),
    "counted_at": pl.lit(None),
    "skus_counted": pl.lit(None),
    "skus_inaccurate": pl.lit(None),
    "units_corrected": pl.lit(None),
    "value_corrected": pl.lit(None),
}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(CYCLE_COUNT_REQUESTS.create_sql())
    con.execute(CYCLE_COUNT_REQUEST_LINES.create_sql())


def recent_requests(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """location_id, requested_at of every request: what the cooldown looks at."""
    ensure_tables(con)
    return con.sql(f"select location_id, requested_at from {REQUESTS}").pl()


def latest_request_per_location(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """location_id, requested_at (the latest), by location_id."""
    return (
        recent_requests(con)
        .group_by("location_id")
        .agg(pl.col("requested_at").max())
        .sort("location_id")
    )


def latest_requests(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pl.DataFrame:
    """The newest requests with their status and results, for a reader."""
    ensure_tables(con)
    return con.sql(
        "select request_id, location_id, requested_at, status, sku_count, skus_counted, "
        f"skus_inaccurate from {REQUESTS} order by requested_at desc, risk_rank limit {limit:d}"
    ).pl()


def record_requests(
    con: duckdb.DuckDBPyConnection,
    requests: pl.DataFrame,
    lines: pl.DataFrame,
    outbox_files: dict[str, str],
) -> int:
    """Insert new requests (ml.count_policy.build_requests' frames) and their lines; a request
    id already present is left as it is. Returns the requests inserted."""
    ensure_tables(con)
    if requests.is_empty():
        return 0
    new_requests = CYCLE_COUNT_REQUESTS.conform(
        requests.with_columns(
            **_OPEN,
            outbox_file=pl.col("request_id").replace_strict(outbox_files, default=None),
        )
    )
    # The lines keep what a store needs to count; the estimate's other inputs stay in ml.
    new_lines = CYCLE_COUNT_REQUEST_LINES.conform(
        lines.select(CYCLE_COUNT_REQUEST_LINES.column_names)
    )
    con.register("new_requests", new_requests.to_arrow())
    con.register("new_lines", new_lines.to_arrow())
    try:
        before = con.execute(f"select count(*) from {REQUESTS}").fetchall()[0][0]
        con.execute(
            f"""
            insert into {REQUESTS} by name
            select * from new_requests
            where request_id not in (select request_id from {REQUESTS})
            """
        )
        con.execute(
            f"""
            insert into {LINES} by name
            select * from new_lines
            where not exists (
                select 1 from {LINES} as existing
                where existing.request_id = new_lines.request_id and existing.sku = new_lines.sku
            )
            """
        )
        after = con.execute(f"select count(*) from {REQUESTS}").fetchall()[0][0]
    finally:
        con.unregister("new_requests")
        con.unregister("new_lines")
    return after - before


def refresh_status(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Mark requests counted from the counts the event store received after the request."""
    ensure_tables(con)
    if table_exists(con, "marts", "fct_cycle_counts"):
        con.execute(
            f"""
            update {REQUESTS} as request
            set status = 'counted',
                counted_at = results.counted_at,
                skus_counted = results.skus_counted,
                skus_inaccurate = results.skus_inaccurate,
                units_corrected = results.units_corrected,
                value_corrected = results.value_corrected
            from (
                select
                    line.request_id,
                    max(count_.counted_at) as counted_at,
                    count(distinct count_.sku) as skus_counted,
                    count(distinct count_.sku) filter (where not count_.is_accurate)
                        as skus_inaccurate,
                    sum(abs(count_.variance_quantity))::bigint as units_corrected,
                    sum(abs(count_.variance_value_at_cost)) as value_corrected
                from {LINES} as line
                join {REQUESTS} as req using (request_id)
                join marts.fct_cycle_counts as count_
                    on count_.location_id = line.location_id
                    and count_.sku = line.sku
                    and count_.counted_at >= req.requested_at
                group by line.request_id
            ) as results
            where request.request_id = results.request_id
            """
        )
    return dict(con.execute(f"select status, count(*) from {REQUESTS} group by status").fetchall())
