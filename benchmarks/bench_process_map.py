"""The process map (process_transitions) against pm4py's performance DFG on the same log, at
increasing sizes (docs/benchmarks.md, "Process map vs pm4py").

Input: a warehouse with staging.stg_inventory_events (any warehouse after `omnistock run`, or
`--landing` to ingest a landing folder and build staging first). For each size:

1. a fresh DuckDB file holds the order, transfer, return and replenishment events of the
   input, sampled by case (sizes below the input) or repeated with renamed cases and events
   (sizes above it), so every size is the same log's mix; the last day is held back;
2. one process runs dbt's compiled SQL of int_event_log -> int_case_transitions ->
   process_transitions (a full refresh, `create table ... as` as dbt-duckdb runs it) and
   reports each model's wall and CPU seconds and the process's peak RSS; the same for
   `--baseline-project` (another checkout's dbt_project, e.g. an older commit's) if given;
3. another process reads int_event_log into a pandas DataFrame in time order (case id =
   workflow + case_key, activity, timestamp) and times `pm4py.discover_performance_dfg` on it
   (the DataFrame's load is not timed);
4. the edges are checked equal: the same (from, to) pairs, counts, mean, median, p95, min
   and max (relative 1e-9);
5. the held-back day lands (ingested an hour later) and `dbt run` builds the models again
   (incremental where the project makes them so): dbt's time for each.

The machine may be shared: the load average is recorded with each size, and the figures to
quote are ratios within one size. `--profile` writes DuckDB's JSON profile of each model at
the largest size to the work folder.

    python benchmarks/bench_process_map.py WAREHOUSE [--landing DIR] \
        [--sizes 100000 1000000 10000000] [--baseline-project DIR] \
        [--work-dir benchmarks/.work/process_map] [--profile]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
WORKFLOWS = ("order", "transfer", "return", "replenishment")
# dbt's order; the compiled files live under target/compiled/omnistock/models/<schema>/
MODELS = (
    ("intermediate", "int_event_log"),
    ("intermediate", "int_case_transitions"),
    ("marts", "process_transitions"),
)
DATABASE = "warehouse.duckdb"  # one name for every size: the compiled SQL names its catalog
TOLERANCE = 1e-9


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# --- data -----------------------------------------------------------------------------------


def build_staging(landing: Path, warehouse: Path, work_dir: Path) -> None:
    from omnistock.ingest import ingest_files, load_reference

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        load_reference(con, landing)
        ingest_files(con, landing)
    dbt(["run", "--select", "stg_inventory_events"], warehouse, work_dir / "staging")


def sized_log(source: Path, target: Path, events: int) -> tuple[int, int]:
    """Write `events` (about) process events of `source` to target's staging table, less
    those of the last day, held back in bench.held_back; return (stored, held back)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    with duckdb.connect(str(target)) as con:
        con.execute("attach ? as source (read_only)", [str(source)])
        (available,) = con.execute(
            "select count(*) from source.staging.stg_inventory_events where workflow in ?",
            [list(WORKFLOWS)],
        ).fetchone()
        share = events / available
        copies = math.ceil(share)
        # copy k of a case keeps its events under new ids; the last copy keeps a share of the
        # cases (by a hash of the case), so a case is either whole or absent
        last_share = round((share - (copies - 1)) * 1_000_000)
        con.execute("create schema staging")
        con.execute(
            """
            create table staging.stg_inventory_events as
            select events.* replace (
                case when copy = 0 then event_id else event_id || '~' || copy end as event_id,
                case when copy = 0 then case_id else case_id || '~' || copy end as case_id
            )
            from source.staging.stg_inventory_events as events, range(?) as copies(copy)
            where workflow in ?
                and (copy < ? - 1 or hash(workflow, case_id) % 1000000 < ?)""",
            [copies, list(WORKFLOWS), copies, last_share],
        )
        con.execute("create schema bench")
        con.execute("""
            create table bench.held_back as
            select * from staging.stg_inventory_events
            where occurred_date = (select max(occurred_date) from staging.stg_inventory_events)""")
        con.execute("delete from staging.stg_inventory_events where event_id in "
                    "(select event_id from bench.held_back)")  # fmt: skip
        (stored,) = con.execute("select count(*) from staging.stg_inventory_events").fetchone()
        (held,) = con.execute("select count(*) from bench.held_back").fetchone()
    return stored, held


def land_held_back(warehouse: Path) -> None:
    """The held-back day arrives: ingested an hour after everything else."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("""
            insert into staging.stg_inventory_events
            select * replace (
                (select max(ingested_at) from staging.stg_inventory_events) + interval 1 hour
                    as ingested_at)
            from bench.held_back""")


def incremental_run(warehouse: Path, work_dir: Path, project_dir: Path) -> dict[str, float]:
    """`dbt run` of the models (incremental where the project makes them so): each model's
    execution time from run_results.json (dbt's own start-up and parse not counted)."""
    selection = " ".join(name for _, name in MODELS)
    dbt(["run", "--select", selection], warehouse, work_dir, project_dir)
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    schemas = {f"model.omnistock.{name}": f"{schema}.{name}" for schema, name in MODELS}
    return {
        schemas[result["unique_id"]]: result["execution_time"]
        for result in results
        if result["unique_id"] in schemas
    }


def dbt(
    args: list[str], warehouse: Path, work_dir: Path, project_dir: Path = DBT_PROJECT_DIR
) -> None:
    env = {
        **os.environ,
        "OMNISTOCK_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(DBT),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"dbt {' '.join(args)} failed:\n{result.stdout[-5000:]}")


def compiled_models(warehouse: Path, work_dir: Path, project_dir: Path) -> dict[str, str]:
    """The full-refresh SQL of the models of MODELS that `project_dir` has, in dbt's order,
    compiled by dbt for `warehouse`."""
    selection = " ".join(name for _, name in MODELS)
    dbt(["compile", "--full-refresh", "--select", selection], warehouse, work_dir, project_dir)
    compiled = work_dir / "target" / "compiled" / "omnistock" / "models"
    return {
        f"{schema}.{name}": (compiled / schema / f"{name}.sql").read_text()
        for schema, name in MODELS
        if (compiled / schema / f"{name}.sql").exists()
    }


# --- the two measured processes ------------------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM: not inherited from the parent, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_sql(spec: dict) -> dict:
    """Build the three models from the compiled SQL, as dbt-duckdb does (create table as)."""
    timings = {}
    with duckdb.connect(spec["warehouse"]) as con:
        con.execute("create schema if not exists intermediate")
        con.execute("create schema if not exists marts")
        for relation, sql in spec["models"].items():
            if spec.get("profile_dir"):
                name = relation.split(".")[1]
                con.execute("pragma enable_profiling = 'json'")
                con.execute(f"pragma profiling_output = '{spec['profile_dir']}/{name}.json'")
            started, cpu_started = time.perf_counter(), cpu_seconds()
            con.execute(f"create or replace table {relation} as {sql}")
            timings[relation] = {
                "seconds": time.perf_counter() - started,
                "cpu_seconds": cpu_seconds() - cpu_started,
            }
            if spec.get("profile_dir"):
                con.execute("pragma disable_profiling")
        (log_rows,) = con.execute("select count(*) from intermediate.int_event_log").fetchone()
        edges = con.execute(
            """select from_activity, to_activity, transition_count, mean_duration_s,
                p50_duration_s, p95_duration_s, min_duration_s, max_duration_s
            from marts.process_transitions"""
        ).fetchall()
    return {
        "models": timings,
        "log_rows": log_rows,
        "edges": [list(edge) for edge in edges],
        "peak_rss_mb": peak_rss_mb(),
    }


def run_pm4py(spec: dict) -> dict:
    """pm4py's performance DFG of int_event_log, the log in time order as a DataFrame."""
    import warnings

    import numpy as np

    warnings.filterwarnings("ignore")
    with duckdb.connect(spec["warehouse"], read_only=True) as con:
        frame = con.execute(
            """
            select
                workflow || ':' || case_key as "case:concept:name",
                activity as "concept:name",
                occurred_at as "time:timestamp"
            from intermediate.int_event_log
            -- ties in time keep the workflow's order: pm4py's sort by case and time is stable
            order by occurred_at, activity_rank, event_id, workflow, case_key"""
        ).df()
    import pm4py

    started, cpu_started = time.perf_counter(), cpu_seconds()
    performance = pm4py.discover_performance_dfg(frame)[0]
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    peak = peak_rss_mb()
    # not timed: the raw durations, for the count and the 95th percentile
    raw = pm4py.discover_performance_dfg(frame, perf_aggregation_key="raw_values")[0]
    edges = [
        [
            source,
            target,
            len(values),
            performance[(source, target)]["mean"],
            performance[(source, target)]["median"],
            float(np.percentile(values, 95)),
            performance[(source, target)]["min"],
            performance[(source, target)]["max"],
        ]
        for (source, target), values in raw.items()
    ]
    return {"seconds": seconds, "cpu_seconds": cpu, "edges": edges, "peak_rss_mb": peak}


def measure(task: str, spec: dict, work_dir: Path) -> dict:
    spec_path = work_dir / f"{task}.json"
    spec_path.write_text(json.dumps(spec))
    result = subprocess.run(
        [sys.executable, __file__, "--child", task, str(spec_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{task} failed:\n{result.stderr[-5000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare_edges(ours: list[list], theirs: list[list]) -> int:
    """The number of edges; exits when the two maps differ."""
    mine = {(a, b): values for a, b, *values in ours}
    pm4py = {(a, b): values for a, b, *values in theirs}
    if mine.keys() != pm4py.keys():
        sys.exit(f"the edges differ: {sorted(mine.keys() ^ pm4py.keys())[:5]}")
    for edge, (count, *durations) in pm4py.items():
        if mine[edge][0] != count:
            sys.exit(f"{edge}: {mine[edge][0]} transitions, pm4py {count}")
        for ours_value, theirs_value in zip(mine[edge][1:], durations, strict=True):
            if not math.isclose(ours_value, theirs_value, rel_tol=TOLERANCE, abs_tol=1e-6):
                sys.exit(f"{edge}: durations {mine[edge][1:]}, pm4py {durations}")
    return len(mine)


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", type=Path, help="DuckDB file with staging built")
    parser.add_argument("--landing", type=Path, help="ingest this first if warehouse is missing")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument(
        "--work-dir", type=Path, default=REPO / "benchmarks" / ".work" / "process_map"
    )
    parser.add_argument(
        "--baseline-project",
        type=Path,
        help="also time this checkout's dbt_project (e.g. an older commit), before this one",
    )
    parser.add_argument("--profile", action="store_true", help="profile the largest size")
    args = parser.parse_args(argv)

    work_dir = args.work_dir.resolve()
    if args.landing and not args.warehouse.exists():
        build_staging(args.landing, args.warehouse, work_dir)
    projects = {"this": DBT_PROJECT_DIR}
    if args.baseline_project:
        projects = {"baseline": args.baseline_project.resolve(), **projects}
    rows = []
    for size in sorted(args.sizes):
        size_dir = work_dir / str(size)
        if size_dir.exists():
            shutil.rmtree(size_dir)
        warehouse = size_dir / DATABASE
        events, held_back = sized_log(args.warehouse, warehouse, size)
        load_before = load_average()
        full = {}
        for label, project_dir in projects.items():
            project_work = size_dir / label
            models = compiled_models(warehouse, project_work, project_dir)
            profile = args.profile and size == max(args.sizes)
            full[label] = measure(
                "sql",
                {
                    "warehouse": str(warehouse),
                    "models": models,
                    "profile_dir": str(project_work) if profile else None,
                },
                project_work,
            )
        # the last project's int_event_log (every project's gives the same rows)
        pm4py = measure("pm4py", {"warehouse": str(warehouse)}, size_dir)
        edge_count = {
            label: compare_edges(run["edges"], pm4py["edges"]) for label, run in full.items()
        }
        for run in (*full.values(), pm4py):
            del run["edges"]
        # one more day: this project incremental first (its tables are the current ones)
        land_held_back(warehouse)
        increment = {
            label: incremental_run(warehouse, size_dir / label, project_dir)
            for label, project_dir in reversed(projects.items())
        }
        rows.append(
            {
                "events": events,
                "held_back_events": held_back,
                "edges": edge_count,
                "full_refresh": full,
                "pm4py": pm4py,
                "one_more_day": increment,
                "load_average": f"{load_before} -> {load_average()}",
            }
        )
        print(f"{events:,} events done (load {rows[-1]['load_average']})", file=sys.stderr)
    (work_dir / "results.json").write_text(json.dumps(rows, indent=2))
    print_tables(rows)


TRANSITIONS = ("marts.process_transitions",)
EDGES = ("intermediate.int_case_transitions", *TRANSITIONS)
CHAIN = ("intermediate.int_event_log", *EDGES)


def print_tables(rows: list[dict]) -> None:
    def cell(timing: dict | None) -> str:
        return f"{timing['seconds']:.2f} ({timing['cpu_seconds']:.2f})" if timing else "–"

    def total(models: dict, names: tuple[str, ...]) -> float:
        """Seconds of the named models present (a timing dict's wall seconds, or seconds)."""
        return sum(
            models[name]["seconds"] if isinstance(models[name], dict) else models[name]
            for name in names
            if name in models
        )

    print("Full refresh and pm4py, seconds as wall (CPU); ratios of wall times:\n")
    print(
        "| event-log rows | project | int_event_log | int_case_transitions | "
        "process_transitions | pm4py DFG | pm4py ÷ process_transitions | "
        "pm4py ÷ edges + transitions | pm4py ÷ all three | peak RSS MB SQL / pm4py | load |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        pm4py = row["pm4py"]
        for label, run in row["full_refresh"].items():
            models = run["models"]
            ratios = "".join(
                f"| {pm4py['seconds'] / total(models, names):.1f}x "
                for names in (TRANSITIONS, EDGES, CHAIN)
            )
            print(
                f"| {run['log_rows']:,} | {label} "
                f"| {cell(models['intermediate.int_event_log'])} "
                f"| {cell(models.get('intermediate.int_case_transitions'))} "
                f"| {cell(models['marts.process_transitions'])} | {cell(pm4py)} {ratios}"
                f"| {run['peak_rss_mb']:,.0f} / {pm4py['peak_rss_mb']:,.0f} "
                f"| {row['load_average']} |"
            )
    print(
        "\nOne more day (dbt run after the held-back last day lands): dbt's model times, and"
        " their share of the full refresh's SQL times above (dbt adds ~0.2 s a model):\n"
    )
    print(
        "| events + one day | project | int_event_log | int_case_transitions | "
        "process_transitions | all three | ÷ full refresh |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for row in rows:
        for label, models in row["one_more_day"].items():
            full = total(row["full_refresh"][label]["models"], CHAIN)
            cells = "".join(
                f"| {models[name]:.2f} " if name in models else "| – " for name in CHAIN
            )
            print(
                f"| {row['events']:,} + {row['held_back_events']:,} | {label} {cells}"
                f"| {total(models, CHAIN):.2f} | {total(models, CHAIN) / full:.0%} |"
            )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        task_spec = json.loads(Path(sys.argv[3]).read_text())
        print(json.dumps(run_sql(task_spec) if sys.argv[2] == "sql" else run_pm4py(task_spec)))
    else:
        main()
