"""Ingestion throughput vs DuckDB reading and loading the same files.

    .venv/bin/python benchmarks/bench_ingest.py LANDING                  # an existing landing folder
    .venv/bin/python benchmarks/bench_ingest.py LANDING --synthetic 3000000   # generate it first

Every measurement runs in its own child process (so one run's caches and memory don't leak
into the next) and reports its wall time, CPU time and peak RSS. Baselines, over the files of
one format:
- count: `SELECT count(*) FROM read_json([...])` (likewise read_csv, read_parquet), the bare
  read the issue names. For Parquet it reads only the files' footers;
- scan: every column decoded (`SELECT count(*), max(COLUMNS(*)) FROM read_...`);
- load: DuckDB's own load, `CREATE TABLE AS SELECT * FROM read_...` into a fresh database
  file, closed (so durable): what loading costs with no validation at all.
Ours: `ingest_files` of those files into a fresh warehouse (reference data loaded first, file
hashing, validation, writes and the final checkpoint included). Every measurement is repeated
(`--repeat`, in rounds) and its median run reported. Prints a markdown table with ratios to
the baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from omnistock.config import SOURCE_SYSTEMS
from omnistock.ingest import discover_files, ingest_files, load_reference

FORMATS = ("jsonl", "csv", "parquet")
# The bare reads take the options a landing folder needs to be read at all: files of one
# format may differ in columns, and bad records (the simulator plants some) must not stop them.
READERS = {
    "jsonl": "read_json(?, union_by_name = true, ignore_errors = true)",
    "csv": "read_csv(?, union_by_name = true, ignore_errors = true)",
    "parquet": "read_parquet(?, union_by_name = true)",
}
BASELINES = {
    "count": "SELECT count(*) FROM {reader}",
    "scan": "SELECT count(*), max(COLUMNS(*)) FROM {reader}",
    "load": "CREATE TABLE bare_load AS SELECT * FROM {reader}",
}


# --- synthetic landing folder -----------------------------------------------------------------

STORES, DCS, SKUS = 300, 4, 5000

# Valid events of a few shapes (SPEC 4.1), chosen by row number; NULL where a type has no field.
SYNTHETIC_EVENTS_SQL = f"""
SELECT
    printf('%s-%010d', source_system, i) AS event_id,
    CASE WHEN source_system = 'ecommerce' AND i % 4 = 0 THEN '2' ELSE '1' END AS schema_version,
    event_type, source_system,
    strftime(occurred + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%S') || '+01:00' AS occurred_at,
    strftime(occurred + INTERVAL (30 + i % 600) SECOND, '%Y-%m-%dT%H:%M:%SZ') AS emitted_at,
    printf('C%09d', i // 3) AS case_id,
    CASE WHEN event_type <> 'order_placed' AND event_type <> 'api_call'
        THEN printf('S%03d', 1 + i % {STORES}) END AS location_id,
    CASE WHEN event_type = 'transfer_requested' THEN printf('DC%02d', 1 + i % {DCS}) END
        AS to_location_id,
    CASE WHEN event_type <> 'api_call' THEN printf('SKU%05d', i % {SKUS}) END AS sku,
    CASE WHEN event_type = 'inventory_adjusted' THEN -1 - i % 3
        WHEN event_type <> 'api_call' THEN 1 + i % 5 END AS quantity,
    CASE WHEN event_type IN ('sale', 'order_placed') THEN 'store' END AS channel,
    CASE WHEN event_type = 'inventory_adjusted' THEN 'shrink' END AS reason_code,
    CASE event_type
        WHEN 'api_call' THEN json_object('integration', 'oms_erp', 'status_code', 200,
            'latency_ms', i % 900, 'attempt', 1)
        WHEN 'sale' THEN json_object('basket_id', printf('B%08d', i // 2))
    END AS attributes,
    file_no
FROM (
    SELECT i,
        (['sale', 'order_placed', 'reservation_requested', 'transfer_requested',
          'inventory_adjusted', 'api_call'])[1 + i % 6] AS event_type,
        (?::VARCHAR[])[1 + (i // ?) % len(?::VARCHAR[])] AS source_system,
        TIMESTAMP '2026-03-01' + i * INTERVAL 250 MILLISECOND AS occurred,
        i // ? AS file_no
    FROM range(?) r(i)
)"""


def generate_landing(landing: Path, events: int, events_per_file: int) -> None:
    """Reference data and `events` valid events, one format per file in rotation
    (jsonl, csv, parquet), in the source-system folders; ecommerce JSONL has version 2 rows."""
    con = duckdb.connect()
    (landing / "reference").mkdir(parents=True, exist_ok=True)
    con.sql(f"""
SELECT printf('S%03d', i) AS location_id, 'store' AS location_type,
    'R' || (i % 4) AS region, 'Store ' || i AS name FROM range(1, {STORES} + 1) r(i)
UNION ALL
SELECT printf('DC%02d', i), 'dc', 'R' || (i % 4), 'DC ' || i FROM range(1, {DCS} + 1) r(i)
""").to_csv(str(landing / "reference" / "locations.csv"), header=True)
    con.sql(f"""
SELECT printf('SKU%05d', i) AS sku, 'cat' || (i % 20) AS category, 5 + i % 50 AS unit_cost,
    10 + i % 90 AS unit_price, (['A', 'B', 'C'])[1 + i % 3] AS abc_class
FROM range({SKUS}) r(i)""").to_csv(str(landing / "reference" / "skus.csv"), header=True)

    sources = list(SOURCE_SYSTEMS)
    con.execute(
        f"CREATE TABLE synthetic AS {SYNTHETIC_EVENTS_SQL}",
        [sources, events_per_file, sources, events_per_file, events],
    )
    file_count = con.execute("SELECT max(file_no) + 1 FROM synthetic").fetchall()[0][0]
    for file_no in range(file_count):
        rows = con.table("synthetic").filter(f"file_no = {file_no}").select("* EXCLUDE (file_no)")
        source = rows.select("source_system").limit(1).fetchall()[0][0]
        file_format = FORMATS[file_no % len(FORMATS)]
        target = landing / source / f"2026-03-01T{file_no:05d}.{file_format}"
        target.parent.mkdir(exist_ok=True)
        if file_format == "parquet":
            rows.select("* REPLACE (attributes::VARCHAR AS attributes)").to_parquet(str(target))
        elif file_format == "csv":
            rows.select("* REPLACE (attributes::VARCHAR AS attributes)").to_csv(
                str(target), header=True
            )
        else:
            _write_jsonl(rows, target)
    print(f"generated {events:,} events in {file_count} files under {landing}", file=sys.stderr)


def _write_jsonl(rows: duckdb.DuckDBPyRelation, target: Path) -> None:
    """One JSON object per line; version 2 rows use site_id and item {sku, qty}."""
    lines = rows.select("""
CASE WHEN schema_version = '2' THEN to_json(struct_pack(
        event_id, schema_version, event_type, source_system, occurred_at, emitted_at, case_id,
        site_id := location_id, to_location_id, item := struct_pack(sku, qty := quantity),
        channel, reason_code, attributes))
    ELSE to_json(struct_pack(
        event_id, schema_version, event_type, source_system, occurred_at, emitted_at, case_id,
        location_id, to_location_id, sku, quantity, channel, reason_code, attributes))
END AS line""").fetchall()
    target.write_text("".join(line + "\n" for (line,) in lines))


# --- measurements (each in a child process) ---------------------------------------------------


def _baseline(paths: list[str], file_format: str, kind: str, database: str) -> dict:
    con = duckdb.connect(database if kind == "load" else ":memory:")
    con.execute(BASELINES[kind].format(reader=READERS[file_format]), [paths]).fetchall()
    con.close()
    return {}


def _ingest(paths: list[str], landing: str, warehouse: str) -> dict:
    con = duckdb.connect(warehouse)
    load_reference(con, landing)
    report = ingest_files(con, landing, files=paths)
    con.close()  # includes the checkpoint: the data is durable when the clock stops
    return {
        "records": report.records_read,
        "stored": report.records_stored,
        "quarantined": report.records_quarantined,
    }


def _peak_rss_mb() -> float:
    """This process's own peak RSS. VmHWM belongs to the process image, so unlike ru_maxrss it
    does not inherit the parent's peak across fork/exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    started, cpu_started = time.perf_counter(), time.process_time()
    if spec["task"] == "baseline":
        result = _baseline(spec["paths"], spec["format"], spec["kind"], spec["database"])
    else:
        result = _ingest(spec["paths"], spec["landing"], spec["warehouse"])
    result["seconds"] = time.perf_counter() - started
    result["cpu_seconds"] = time.process_time() - cpu_started
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


def _median_runs(workdir: Path, specs: dict[str, dict], repeat: int) -> dict[str, dict]:
    """Run every spec `repeat` times, in rounds (so a slow moment of the machine is shared by
    all of them), each from scratch; keep each one's run of median wall time."""
    runs: dict[str, list[dict]] = {name: [] for name in specs}
    for _ in range(repeat):
        for name, spec in specs.items():
            for database in (spec.get("database"), spec.get("warehouse")):
                for leftover in (Path(database), Path(f"{database}.wal")) if database else ():
                    leftover.unlink(missing_ok=True)
            runs[name].append(_run_child(workdir, spec))
    return {
        name: sorted(results, key=lambda result: result["seconds"])[len(results) // 2]
        for name, results in runs.items()
    }


def _run_child(workdir: Path, spec: dict) -> dict:
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps(spec))
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(spec_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("landing", type=Path, nargs="?")
    parser.add_argument("--synthetic", type=int, metavar="N", help="first generate N events")
    parser.add_argument("--events-per-file", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    if args.landing is None:
        parser.error("a landing folder is required")
    if args.synthetic:
        generate_landing(args.landing, args.synthetic, args.events_per_file)

    landing = args.landing.resolve()
    files = discover_files(landing)
    paths_by_format = {
        file_format: [str(f.path) for f in files if f.file_format == file_format]
        for file_format in FORMATS
    }
    paths_by_format = {fmt: paths for fmt, paths in paths_by_format.items() if paths}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        workdir = Path(tmp)
        for file_format, paths in paths_by_format.items():
            specs = {
                kind: {
                    "task": "baseline",
                    "kind": kind,
                    "format": file_format,
                    "paths": paths,
                    "database": str(workdir / f"{file_format}-bare.duckdb"),
                }
                for kind in BASELINES
            }
            specs["ingest"] = {
                "task": "ingest",
                "paths": paths,
                "landing": str(landing),
                "warehouse": str(workdir / f"{file_format}.duckdb"),
            }
            medians = _median_runs(workdir, specs, args.repeat)
            ours = medians.pop("ingest")
            rows.append((file_format, len(paths), medians, ours))
        everything = _median_runs(
            workdir,
            {
                "all": {
                    "task": "ingest",
                    "paths": [str(f.path) for f in files],
                    "landing": str(landing),
                    "warehouse": str(workdir / "all.duckdb"),
                }
            },
            args.repeat,
        )["all"]

    kinds = list(BASELINES)
    print(
        "| files | n | records | "
        + " | ".join(f"{kind} s (cpu s)" for kind in kinds)
        + " | ingest s (cpu s) | ingest RSS MB | "
        + " | ".join(f"× {kind}" for kind in kinds)
        + " |"
    )
    print("|---|---:|---:|" + "---:|" * (2 * len(kinds) + 2))
    for file_format, count, baselines, ours in rows:
        _print_row(file_format, count, baselines, ours)
    totals = {
        kind: {
            key: sum(baselines[kind][key] for _, _, baselines, _ in rows)
            for key in ("seconds", "cpu_seconds")
        }
        for kind in kinds
    }
    _print_row("all, one run", len(files), totals, everything)
    print(
        f"\nstored {everything['stored']:,}, quarantined {everything['quarantined']:,}. "
        "Baselines of the last row: the sums of the per-format ones. "
        "Ratios: ingest wall time / baseline wall time. "
        f"Peak RSS of the whole-landing ingest: {everything['peak_rss_mb']:.0f} MB."
    )


def _print_row(label: str, count: int, baselines: dict, ours: dict) -> None:
    print(
        f"| {label} | {count} | {ours['records']:,} | "
        + " | ".join(_seconds(baseline) for baseline in baselines.values())
        + f" | {_seconds(ours)} | {ours['peak_rss_mb']:.0f} | "
        + " | ".join(_ratio(ours, baseline, "seconds") for baseline in baselines.values())
        + " |"
    )


def _seconds(result: dict) -> str:
    return f"{result['seconds']:.2f} ({result['cpu_seconds']:.2f})"


def _ratio(ours: dict, bare: dict, key: str) -> str:
    return f"{ours[key] / bare[key]:.1f}x" if bare[key] >= 0.01 else "n/a"


if __name__ == "__main__":
    main()
