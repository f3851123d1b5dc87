"""The same dbt project on DuckDB and on Spark local, at two sizes (docs/benchmarks.md,
"Engines: DuckDB and Spark").

For each scenario (default: `tiny` and `reference`), in one run and one process at a time:

1. simulate the scenario into the work folder (once) and ingest it into a fresh warehouse,
2. ``dbt build`` on DuckDB (every model, data test and unit test),
3. publish the Parquet lake (omnistock.lake),
4. ``dbt build`` on the ``spark`` target (a local session, fresh metastore and tables),
5. check that Spark's kpi_daily, process_transitions, stalled_cases, exception_queue,
   kpi_observations and kpi_period have DuckDB's row counts, and kpi_daily DuckDB's values
   (relative tolerance 1e-9).

Wall times come from the dbt processes; the split of thread time between models, data tests
and unit tests from their run_results.json. The load average is recorded before and after,
because the machine may be shared. Prints a Markdown table and writes ``results.json`` to
the work folder.

    python benchmarks/bench_engines.py [--scenarios tiny reference] [--work-dir benchmarks/.work/engines]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

import simulator
from omnistock.ingest import ingest_files, load_reference
from omnistock.lake import publish_lake

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
MARTS = (
    "kpi_daily",
    "process_transitions",
    "stalled_cases",
    "exception_queue",
    "kpi_observations",
    "kpi_period",
)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_seconds() -> dict[int, tuple[int, float]]:
    """{pid: (parent pid, CPU seconds so far)} of every process /proc shows."""
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        # after the command: state, ppid, ..., utime and stime are fields 14 and 15 of stat
        processes[int(stat.parent.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
        )
    return processes


def _descendants(root: int, processes: dict[int, tuple[int, float]]) -> set[int]:
    found, grown = {root}, True
    while grown:
        grown = False
        for pid, (parent, _) in processes.items():
            if parent in found and pid not in found:
                found.add(pid)
                grown = True
    return found


def dbt_build(work: Path, env: dict[str, str]) -> dict:
    """One full ``dbt build``: wall seconds, CPU seconds of dbt and every process under it
    (the local Spark session's JVM is not reaped by dbt, so it is sampled from /proc every
    half second while it runs; the last half second of a process may be missed), and the
    thread seconds per resource type. CPU seconds suffer less than wall seconds from a machine
    shared with other work."""
    target = work / "target"
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(DBT), "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
         str(DBT_PROJECT_DIR)],
        env={**os.environ, **env, "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(work / "logs"),
             "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=work,
    )  # fmt: skip
    cpu_seen: dict[int, float] = {}
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.append(process.stdout.read()), daemon=True)
    reader.start()
    while process.poll() is None:
        processes = _process_cpu_seconds()
        for pid in _descendants(process.pid, processes):
            cpu_seen[pid] = max(cpu_seen.get(pid, 0.0), processes[pid][1])
        time.sleep(0.5)
    reader.join()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"dbt build failed in {work}:\n{''.join(output)[-4000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    thread_seconds: dict[str, float] = {}
    for node in results:
        kind = node["unique_id"].split(".")[0]
        thread_seconds[kind] = thread_seconds.get(kind, 0.0) + node["execution_time"]
    cpu = sum(cpu_seen.values())
    return {"wall_s": wall, "cpu_s": cpu, "nodes": len(results), "thread_s": thread_seconds}


def check_equal(warehouse: Path, spark_warehouse: Path) -> dict:
    """Row counts of the four marts on both engines, and kpi_daily's largest relative
    difference; raises if they disagree."""
    checked = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for mart in MARTS:
            files = str(spark_warehouse / "marts.db" / mart / "*.parquet")
            duck = con.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
            spark = con.execute("select count(*) from read_parquet(?)", [files]).fetchall()[0][0]
            if duck != spark:
                raise SystemExit(f"{mart}: {duck} rows on DuckDB, {spark} on Spark")
            checked[mart] = duck
        pairs = con.execute(
            """
            select d.value, s.value
            from marts.kpi_daily as d
            full outer join read_parquet(?) as s
                using (kpi_date, kpi_name, dimension, dimension_value)
            """,
            [str(spark_warehouse / "marts.db" / "kpi_daily" / "*.parquet")],
        ).fetchall()
    worst = 0.0
    for duck, spark in pairs:
        if (duck is None) != (spark is None):
            raise SystemExit(f"kpi_daily: a value is null on one engine only ({duck}, {spark})")
        if duck is not None and not math.isclose(duck, spark, rel_tol=1e-9, abs_tol=1e-9):
            raise SystemExit(f"kpi_daily: {duck} on DuckDB, {spark} on Spark")
        if duck:
            worst = max(worst, abs(duck - spark) / abs(duck))
    checked["kpi_daily_max_rel_difference"] = worst
    return checked


def run_scenario(name: str, work_root: Path, master: str, driver_memory: str) -> dict:
    work = work_root / name
    landing, warehouse = work / "landing", work / "warehouse.duckdb"
    lake, spark_dir = work / "lake", work / "spark"
    if not (landing / "reference").exists():
        simulator.simulate(simulator.get_scenario(name), landing)
    for stale in (warehouse, lake, spark_dir):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    figures: dict = {"scenario": name, "load_before": os.getloadavg()}

    started = time.perf_counter()
    with duckdb.connect(str(warehouse)) as con:
        load_reference(con, landing)
        ingest_files(con, landing)
        figures["events"] = con.execute("select count(*) from raw.inventory_events").fetchall()[0][
            0
        ]
    figures["ingest_s"] = time.perf_counter() - started

    common = {"OMNISTOCK_HOME": str(work), "OMNISTOCK_WAREHOUSE": str(warehouse)}
    (work / "duckdb").mkdir(exist_ok=True)
    figures["duckdb"] = dbt_build(work / "duckdb", {**common, "OMNISTOCK_ENGINE": "duckdb"})

    with duckdb.connect(str(warehouse), read_only=True) as con:
        report = publish_lake(con, lake)
    figures["lake"] = {"publish_s": report.seconds, "partitions": report.partitions}

    (work / "spark_run").mkdir(exist_ok=True)
    figures["spark"] = dbt_build(
        work / "spark_run",
        {
            **common,
            "OMNISTOCK_ENGINE": "spark",
            "OMNISTOCK_LAKE_DIR": str(lake),
            "OMNISTOCK_SPARK_DIR": str(spark_dir),
            "OMNISTOCK_SPARK_MASTER": master,
            "OMNISTOCK_SPARK_DRIVER_MEMORY": driver_memory,
        },
    )
    figures["equal"] = check_equal(warehouse, spark_dir / "warehouse")
    figures["load_after"] = os.getloadavg()
    return figures


def markdown(rows: list[dict]) -> str:
    lines = [
        "| scenario | events | lake publish s | DuckDB build s (CPU s) | Spark build s (CPU s) "
        "| Spark ÷ DuckDB, wall (CPU) | Spark thread s: models / data tests / unit tests "
        "| load avg before → after |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        spark, duck = row["spark"], row["duckdb"]
        split = " / ".join(
            f"{spark['thread_s'].get(kind, 0):.0f}" for kind in ("model", "test", "unit_test")
        )
        lines.append(
            f"| {row['scenario']} | {row['events']:,} | {row['lake']['publish_s']:.2f} "
            f"| {duck['wall_s']:.1f} ({duck['cpu_s']:.0f}) | {spark['wall_s']:.1f} ({spark['cpu_s']:.0f}) "
            f"| {spark['wall_s'] / duck['wall_s']:.1f}x ({spark['cpu_s'] / duck['cpu_s']:.1f}x) "
            f"| {split} | {row['load_before'][0]:.1f} → {row['load_after'][0]:.1f} |"
        )  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=["tiny", "reference"])
    parser.add_argument("--work-dir", type=Path, default=REPO / "benchmarks" / ".work" / "engines")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--driver-memory", default="2g")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.scenarios:
        rows.append(
            run_scenario(name, args.work_dir.resolve(), args.spark_master, args.driver_memory)
        )
        print(json.dumps(rows[-1], indent=1, default=str), flush=True)
    (args.work_dir / "results.json").write_text(json.dumps(rows, indent=1, default=str))
    print(markdown(rows))


if __name__ == "__main__":
    main()
