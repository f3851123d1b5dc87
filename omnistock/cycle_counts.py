"""The cycle-count request table: requests, their prioritized SKU lines, and their status.

A request is `open` when written to the outbox and `counted` once cycle_count_completed events
for its location arrive after it was requested (the results: SKUs counted, how many were
wrong, the units and value corrected). "Wrong" and the variance are fct_cycle_counts'
is_accurate and variance_quantity / variance_value_at_cost (dbt owns the rule).
"""

from __future__ import annotations

import duckdb
import polars as pl

from omnistock.warehouse import table_exists

SCHEMA = "actions"

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.cycle_count_requests (
    request_id varchar primary key,
    location_id varchar not null,
    requested_at timestamp not null,
    risk_score double,
    risk_rank bigint,
    reason varchar,
    sku_count bigint,
    expected_discrepancy_value double,
    status varchar not null default 'open',
    counted_at timestamp,
    skus_counted bigint,
    skus_inaccurate bigint,
    units_corrected bigint,
    value_corrected double,
    outbox_file varchar
);
create table if not exists {SCHEMA}.cycle_count_request_lines (
    request_id varchar not null,
    priority bigint not null,
    location_id varchar not null,
    sku varchar not null,
    category varchar,
    abc_class varchar,
    book_quantity double,
    inaccuracy_probability double,
    expected_discrepancy_value double,
    reason varchar,
    primary key (request_id, sku)
);
"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def recent_requests(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    ensure_tables(con)
    return con.sql(f"select location_id, requested_at from {SCHEMA}.cycle_count_requests").pl()


def record_requests(
    con: duckdb.DuckDBPyConnection,
    requests: pl.DataFrame,
    lines: pl.DataFrame,
    outbox_files: dict[str, str],
) -> int:
    """Insert new requests and their lines; a request id already present is left as it is."""
    ensure_tables(con)
    if requests.is_empty():
        return 0
    requests = requests.with_columns(
        pl.col("request_id").replace_strict(outbox_files, default=None).alias("outbox_file")
    )
    con.register("new_requests", requests.to_arrow())
    con.register("new_lines", lines.to_arrow())
    try:
        before = con.execute(f"select count(*) from {SCHEMA}.cycle_count_requests").fetchall()[0][0]
        con.execute(
            f"""
            insert into {SCHEMA}.cycle_count_requests
                (request_id, location_id, requested_at, risk_score, risk_rank, reason,
                 sku_count, expected_discrepancy_value, outbox_file)
            select request_id, location_id, requested_at, risk_score, risk_rank, reason,
                   sku_count, expected_discrepancy_value, outbox_file
            from new_requests
            where request_id not in (select request_id from {SCHEMA}.cycle_count_requests)
            """
        )
        con.execute(
            f"""
            insert into {SCHEMA}.cycle_count_request_lines
            select request_id, priority, location_id, sku, category, abc_class, book_quantity,
                   inaccuracy_probability, expected_discrepancy_value, reason
            from new_lines
            where not exists (
                select 1 from {SCHEMA}.cycle_count_request_lines as existing
                where existing.request_id = new_lines.request_id and existing.sku = new_lines.sku
            )
            """
        )
        after = con.execute(f"select count(*) from {SCHEMA}.cycle_count_requests").fetchall()[0][0]
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
            update {SCHEMA}.cycle_count_requests as request
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
                from {SCHEMA}.cycle_count_request_lines as line
                join {SCHEMA}.cycle_count_requests as req using (request_id)
                join marts.fct_cycle_counts as count_
                    on count_.location_id = line.location_id
                    and count_.sku = line.sku
                    and count_.counted_at >= req.requested_at
                group by line.request_id
            ) as results
            where request.request_id = results.request_id
            """
        )
    return dict(
        con.execute(
            f"select status, count(*) from {SCHEMA}.cycle_count_requests group by status"
        ).fetchall()
    )
