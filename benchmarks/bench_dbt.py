"""Time the dbt project against one hand-written DuckDB query.

Input: a warehouse into which a landing folder was already ingested (raw.* tables). The
warehouse is copied to a work folder (the original is never touched); the last day of events
is held back, then:

1. ``dbt build --full-refresh`` on days 1..N-1 (models, data tests, unit tests),
2. the held-back day is re-ingested (new ingested_at) and ``dbt build`` runs incrementally,
3. one hand-written DuckDB query computes three headline KPIs of SPEC 5 for every day
   (reservation_latency_p95_s, order_exception_rate, transfer_accuracy, overall rows),
   and its results are checked against marts.kpi_daily.

Prints a Markdown table with the timings and their ratio to the hand-written query.

    python benchmarks/bench_dbt.py .omnistock/warehouse.duckdb [--work-dir benchmarks/.work]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from omnistock.config import export_duckdb_settings
from omnistock.ingest import ingest_files, load_reference

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "dbt_project"

# The three KPIs from raw events, following SPEC 5 (and the dbt models' reading of it). The
# clock is dbt's data horizon (int_data_horizon): one rule, not a second copy of it here.
HAND_WRITTEN_KPIS = """
with events as (
    select * from raw.inventory_events
),
as_of as (
    select horizon_at as as_of from intermediate.int_data_horizon
),
reservations as (
    select
        case_id, sku, location_id,
        min(occurred_at) filter (where event_type = 'reservation_requested') as requested_at,
        min(occurred_at) filter (where event_type = 'reservation_confirmed') as confirmed_at
    from events
    where event_type in ('reservation_requested', 'reservation_confirmed')
    group by all
),
latency as (
    select
        cast(requested_at as date) as kpi_date,
        'reservation_latency_p95_s' as kpi_name,
        quantile_cont(epoch(confirmed_at) - epoch(requested_at), 0.95) as value
    from reservations
    where requested_at is not null and confirmed_at is not null
    group by all
),
order_lines as (
    select
        case_id, sku,
        min(occurred_at) filter (where event_type = 'order_placed') as placed_at,
        count(*) filter (where event_type = 'reservation_failed') as failures,
        min(occurred_at) filter (where event_type = 'reservation_confirmed') as confirmed_at,
        max(occurred_at) filter (
            where event_type = 'order_cancelled' and reason_code = 'out_of_stock') as oos_at,
        max(occurred_at) filter (where event_type = 'order_fulfilled') as last_fulfilled_at,
        least(
            min(occurred_at) filter (where event_type = 'order_fulfilled'),
            min(occurred_at) filter (where event_type = 'order_cancelled')
        ) as closed_at
    from events
    where event_type in ('order_placed', 'reservation_requested', 'reservation_confirmed',
                         'reservation_failed', 'order_fulfilled', 'order_cancelled')
    group by all
),
line_exceptions as (
    select
        case_id,
        placed_at,
        coalesce(
            failures > 0
            or oos_at is not null
            or confirmed_at < oos_at
            or epoch(last_fulfilled_at) - epoch(placed_at) > 48 * 3600
            or (epoch(as_of) - epoch(placed_at) >= 72 * 3600
                and (closed_at is null or epoch(closed_at) - epoch(placed_at) > 72 * 3600)),
            false
        ) as has_exception
    from order_lines, as_of
),
split_orders as (
    select case_id
    from events
    where event_type = 'order_fulfilled'
    group by case_id
    having count(distinct location_id) > 1
),
orders as (
    select
        lines.case_id,
        min(lines.placed_at) as placed_at,
        bool_or(lines.has_exception) or bool_or(split.case_id is not null) as has_exception
    from line_exceptions as lines
    left join split_orders as split on lines.case_id = split.case_id
    group by lines.case_id
),
exception_rate as (
    select
        cast(placed_at as date) as kpi_date,
        'order_exception_rate' as kpi_name,
        avg(case when has_exception then 1.0 else 0.0 end) as value
    from orders
    where placed_at is not null
    group by all
),
transfer_lines as (
    select
        case_id, sku,
        min(occurred_at) filter (where event_type = 'transfer_shipped') as shipped_at,
        sum(quantity) filter (where event_type = 'transfer_shipped') as shipped,
        sum(quantity) filter (where event_type = 'transfer_received') as received
    from events
    where event_type in ('transfer_shipped', 'transfer_received') and sku is not null
    group by all
),
accuracy as (
    select
        cast(shipped_at as date) as kpi_date,
        'transfer_accuracy' as kpi_name,
        avg(case when received = shipped then 1.0 else 0.0 end) as value
    from transfer_lines
    where shipped_at is not null and received is not null
    group by all
)
select * from latency
union all select * from exception_rate
union all select * from accuracy
"""

KPI_DAILY_HEADLINES = """
select kpi_date, kpi_name, value
from marts.kpi_daily
where dimension = 'all'
    and kpi_name in ('reservation_latency_p95_s', 'order_exception_rate', 'transfer_accuracy')
"""


def dbt(args: list[str], warehouse: Path, work_dir: Path) -> float:
    """Run dbt as a pipeline run does (DuckDB's memory limit and threads, the duckdb target)
    and return the wall time in seconds."""
    dbt_executable = shutil.which("dbt") or str(Path(sys.executable).with_name("dbt"))
    export_duckdb_settings()
    env = {
        **os.environ,
        "OMNISTOCK_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        dbt_executable,
        *args,
        "--target",
        "duckdb",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{result.stdout[-5000:]}")
    return elapsed


def hold_back_last_day(warehouse: Path) -> tuple[str, int, int]:
    """Move the last occurred day's events to bench.held_back; return (day, kept, held)."""
    with duckdb.connect(str(warehouse)) as con:
        (last_day,) = con.execute(
            "select max(cast(occurred_at as date)) from raw.inventory_events"
        ).fetchone()
        con.execute("create schema if not exists bench")
        con.execute(
            """
            create or replace table bench.held_back as
            select * from raw.inventory_events where cast(occurred_at as date) = ?""",
            [last_day],
        )
        con.execute(
            "delete from raw.inventory_events where cast(occurred_at as date) = ?", [last_day]
        )
        kept = con.execute("select count(*) from raw.inventory_events").fetchone()[0]
        held = con.execute("select count(*) from bench.held_back").fetchone()[0]
    return str(last_day), kept, held


def ingest_landing(landing: Path, warehouse: Path) -> None:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        load_reference(con, landing)
        ingest_files(con, landing)


def ingest_held_back(warehouse: Path) -> None:
    # a later ingestion: every held-back row gets an ingested_at after everything stored
    with duckdb.connect(str(warehouse)) as con:
        con.execute("""
            insert into raw.inventory_events
            select * replace (
                (select max(ingested_at) from raw.inventory_events) + interval 1 hour
                    as ingested_at)
            from bench.held_back""")


def hand_written_query(warehouse: Path) -> tuple[float, int, float]:
    """(seconds, rows, max |difference| against kpi_daily's overall rows)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        started = time.perf_counter()
        rows = con.execute(HAND_WRITTEN_KPIS).fetchall()
        elapsed = time.perf_counter() - started
        dbt_rows = con.execute(KPI_DAILY_HEADLINES).fetchall()
    mine = {(day, name): value for day, name, value in rows}
    theirs = {(day, name): value for day, name, value in dbt_rows}
    if mine.keys() != theirs.keys():
        missing = sorted(mine.keys() ^ theirs.keys())[:5]
        sys.exit(f"hand-written query and kpi_daily disagree on the rows, e.g. {missing}")
    difference = max((abs(mine[key] - theirs[key]) for key in mine), default=0.0)
    return elapsed, len(rows), difference


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path, help="DuckDB file with raw.* already ingested")
    parser.add_argument(
        "--landing", type=Path, help="ingest this landing folder first if the warehouse is missing"
    )
    parser.add_argument("--work-dir", type=Path, default=REPO / "benchmarks" / ".work" / "dbt")
    args = parser.parse_args(argv)
    if args.landing and not args.warehouse.exists():
        ingest_landing(args.landing, args.warehouse)

    work_dir = args.work_dir.resolve()
    if work_dir.exists():
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    warehouse = work_dir / "warehouse.duckdb"
    shutil.copy(args.warehouse, warehouse)

    last_day, kept, held = hold_back_last_day(warehouse)
    full_s = dbt(["build", "--full-refresh"], warehouse, work_dir)
    ingest_held_back(warehouse)
    # as a pipeline run after the first: the unit tests ran with the first build (their inputs
    # are fixed rows), the data tests of incremental models read the new slice
    incremental_s = dbt(["build", "--exclude-resource-type", "unit_test"], warehouse, work_dir)
    query_s, kpi_rows, difference = hand_written_query(warehouse)

    print(f"## dbt build vs a hand-written DuckDB query ({args.warehouse.name})\n")
    print(
        f"{kept:,} events before {last_day}, {held:,} events on {last_day} added "
        f"incrementally; {kpi_rows} (day, KPI) values, max |dbt - hand| = {difference:.3g}\n"
    )
    print("| step | seconds | × hand-written query |")
    print("|---|---:|---:|")
    for step, seconds in [
        ("dbt build --full-refresh (all models, data and unit tests)", full_s),
        (f"dbt build, incremental (+ {last_day}, data tests)", incremental_s),
        ("hand-written DuckDB query (3 headline KPIs)", query_s),
    ]:
        print(f"| {step} | {seconds:.2f} | {seconds / query_s:,.1f} |")
    print(f"\nincremental / full: {incremental_s / full_s:.1%}")


if __name__ == "__main__":
    main()
