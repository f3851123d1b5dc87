"""`omnistock run` end to end: where the seconds and the memory go, against DuckDB's bare load.

    .venv/bin/python benchmarks/bench_pipeline.py LANDING            # e.g. a `large` landing
    .venv/bin/python benchmarks/bench_pipeline.py LANDING --runs 3   # + two runs with nothing new
    .venv/bin/python benchmarks/bench_pipeline.py LANDING --answers  # run 2: the stores' counts

Each run is the real command (`python -m omnistock.app.cli run`) in a child process, on a
fresh Omnistock home (OMNISTOCK_HOME in a work folder, OMNISTOCK_LANDING_DIR=LANDING, which is
only read). The first run ingests and builds everything; later runs find nothing new, so they
show the fixed cost of a run. With `--answers` the landing is copied into the work folder and,
before each later run, the stores answer the cycle-count requests the previous run sent (as
`omnistock demo` does): the later runs then show what a run costs for those few hundred
records, the dbt step against the first run's. For each run:

- **to first step**: from spawning the process to the first STEP_START event of its Dagster run
  (the event log of the home's instance), and the CPU seconds the process had used by then
  (sampled from /proc, so a busy machine shows as wall > CPU);
- **in the run**: RUN_START to RUN_SUCCESS, and the longest steps;
- **after the run**: RUN_SUCCESS to the process's exit (the summary, shutting down);
- **peak memory**: the largest resident set of the process and its children together
  (sampled every 0.2 s from /proc) and the largest single process (`ru_maxrss`, as
  `/usr/bin/time -v` reports it), and the step that was running at the tree's peak.

The baseline, measured in the same go: DuckDB's own typed load of the same landing files
(`benchmarks/bench_ingest.py`'s "load": `create table as select * from read_...` per format,
into a fresh file, summed). `--code DIR` runs another checkout's code (e.g. main, to measure
before/after a change) with the same landing and baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ingest  # noqa: E402  (benchmarks/ is not a package)

DBT_STEP = "omnistock_dbt_assets"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.2


# --- sampling the process tree ----------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


@dataclass
class Sampler:
    """Samples, every SAMPLE_SECONDS: (time, RSS of the tree in MB, CPU s of the process)."""

    pid: int
    samples: list[tuple[float, float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            tree, pids, total = _children(), [self.pid], 0
            while pids:
                pid = pids.pop()
                total += _rss_kb(pid)
                pids.extend(tree.get(pid, []))
            self.samples.append((time.time(), total / 1024, _cpu_seconds(self.pid)))
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# --- one run -----------------------------------------------------------------------------------


def _environment(
    home: Path, landing: Path, code: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OMNISTOCK_", "DAGSTER_", "DBT_"))
    }
    env.update(
        OMNISTOCK_HOME=str(home),
        OMNISTOCK_LANDING_DIR=str(landing),
        DAGSTER_HOME=str(home / "dagster_home"),
        PYTHONPATH=str(code),
    )
    env.update(extra or {})
    return env


def run_once(
    home: Path, landing: Path, code: Path, log: Path, extra: dict[str, str] | None = None
) -> dict:
    env = _environment(home, landing, code, extra)
    with log.open("a") as output:
        started = time.time()
        process = subprocess.Popen(
            [sys.executable, "-m", "omnistock.app.cli", "run"],
            env=env,
            cwd=code,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        sampler = Sampler(process.pid).start()
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.time()
        sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"omnistock run failed ({process.returncode}); see {log}")
    events = _run_events(home)
    return _measure(started, ended, usage, sampler.samples, events)


def _run_events(home: Path) -> list[tuple[float, str, str | None]]:
    """(timestamp, event type, step key) of the home's latest run, read in a child process
    with the bench's own code (Dagster's storage layout is the same for every version)."""
    script = (
        "import json, dagster as dg\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    run = instance.get_runs(limit=1)[0]\n"
        "    print(json.dumps([(e.timestamp, e.dagster_event.event_type_value, e.step_key)\n"
        "        for e in instance.all_logs(run.run_id) if e.dagster_event]))\n"
    )
    env = _environment(home, home, REPO)
    output = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True
    ).stdout
    return [tuple(event) for event in json.loads(output.strip().splitlines()[-1])]


def _measure(started, ended, usage, samples, events) -> dict:
    def first(kind: str) -> float:
        return next(ts for ts, event, _ in events if event == kind)

    run_start = first("PIPELINE_START")
    run_end = max(
        ts for ts, event, _ in events if event in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE")
    )
    first_step = first("STEP_START")
    steps: dict[str, list[float]] = {}
    for ts, event, step in events:
        if event == "STEP_START":
            steps[step] = [ts, ts]
        elif event in ("STEP_SUCCESS", "STEP_FAILURE") and step in steps:
            steps[step][1] = ts
    before_first = [cpu for ts, _, cpu in samples if ts <= first_step]
    peak_at, peak_mb, _ = max(samples, key=lambda sample: sample[1], default=(started, 0.0, 0.0))
    running = [name for name, (begin, end) in steps.items() if begin <= peak_at <= end]
    peak_by_step = {
        name: max((mb for ts, mb, _ in samples if begin <= ts <= end), default=0.0)
        for name, (begin, end) in steps.items()
    }
    return {
        "seconds": ended - started,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "to_first_step": first_step - started,
        "cpu_to_first_step": before_first[-1] if before_first else None,
        "before_run": run_start - started,
        "in_run": run_end - run_start,
        "after_run": ended - run_end,
        "steps": {name: end - begin for name, (begin, end) in steps.items()},
        "peak_tree_mb": peak_mb,
        "peak_process_mb": usage.ru_maxrss / 1024,
        "peak_during": running[0] if running else "outside the run",
        "peak_tree_mb_by_step": peak_by_step,
    }


def answer_requests(home: Path, landing: Path) -> int:
    """The stores count what the last run requested; their answers land as new files.
    Returns the number of requests answered."""
    import simulator
    from omnistock.config import Settings

    return len(simulator.respond_to_outbox(landing, Settings.at_home(home).cycle_count_outbox))


# --- the baseline ------------------------------------------------------------------------------


def bare_load(landing: Path, workdir: Path) -> dict:
    """DuckDB's typed load of every landing file, per format in its own process, summed."""
    files = bench_ingest.discover_files(landing)
    total = {"seconds": 0.0, "cpu_seconds": 0.0, "peak_rss_mb": 0.0}
    for file_format in bench_ingest.FORMATS:
        paths = [str(f.path) for f in files if f.file_format == file_format]
        if not paths:
            continue
        database = workdir / f"bare-{file_format}.duckdb"
        database.unlink(missing_ok=True)
        result = bench_ingest._run_child(
            workdir,
            {
                "task": "baseline",
                "kind": "load",
                "format": file_format,
                "paths": paths,
                "database": str(database),
            },
        )
        database.unlink(missing_ok=True)
        total["seconds"] += result["seconds"]
        total["cpu_seconds"] += result["cpu_seconds"]
        total["peak_rss_mb"] = max(total["peak_rss_mb"], result["peak_rss_mb"])
    return total


# --- report ------------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def report(
    runs: list[dict],
    baseline: dict | None,
    loads: list[str],
    cores: int,
    answered: list[int] | None = None,
) -> str:
    lines = [
        "| run | wall s | CPU s | to first step s (CPU s) | before run s | in run s "
        "| after run s | peak RSS, tree GB | peak RSS, one process GB | peak during | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for number, (run, load) in enumerate(zip(runs, loads, strict=True), start=1):
        label = "1 (everything new)" if number == 1 else f"{number} (nothing new)"
        if answered and number > 1:
            label = f"{number} ({answered[number - 2]:,} cycle-count requests answered)"
        cpu_first = run["cpu_to_first_step"]
        lines.append(
            f"| {label} | {run['seconds']:.1f} | {run['cpu_seconds']:.1f} "
            f"| {run['to_first_step']:.1f} ({cpu_first:.1f}) | {run['before_run']:.1f} "
            f"| {run['in_run']:.1f} | {run['after_run']:.1f} | {run['peak_tree_mb'] / 1024:.2f} "
            f"| {run['peak_process_mb'] / 1024:.2f} | {run['peak_during']} | {load} |"
        )
    out = "\n".join(lines)
    first = runs[0]
    longest = sorted(first["steps"].items(), key=lambda item: -item[1])[:6]
    out += "\n\nLongest steps of run 1: " + ", ".join(f"{k} {v:.1f} s" for k, v in longest)
    heaviest = sorted(first["peak_tree_mb_by_step"].items(), key=lambda item: -item[1])[:6]
    out += "\n\nPeak RSS of the process tree during the steps of run 1: " + ", ".join(
        f"{k} {v / 1024:.2f} GB" for k, v in heaviest
    )
    dbt_first = first["steps"].get(DBT_STEP)
    for number, run in enumerate(runs[1:], start=2):
        if dbt_first and DBT_STEP in run["steps"]:
            out += (
                f"\n\nRun {number}: dbt step {run['steps'][DBT_STEP]:.1f} s = "
                f"**{run['steps'][DBT_STEP] / dbt_first:.0%}** of run 1's ({dbt_first:.1f} s);"
                f" the whole run {run['seconds'] / first['seconds']:.0%} of run 1's."
            )
    if baseline:
        out += (
            f"\n\nDuckDB's bare typed load of the same files: {baseline['seconds']:.1f} s "
            f"(CPU {baseline['cpu_seconds']:.1f} s, peak {baseline['peak_rss_mb'] / 1024:.2f} GB)."
            f" Full pipeline / bare load: **{first['seconds'] / baseline['seconds']:.1f}x** "
            f"(inside the Dagster run only: {first['in_run'] / baseline['seconds']:.1f}x)."
        )
    out += f"\n\n{cores} cores; load average (1, 5, 15 min) at each run's start as listed."
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("landing", type=Path)
    parser.add_argument(
        "--runs", type=int, default=2, help="1 full run, then runs with nothing new"
    )
    parser.add_argument("--work-dir", type=Path, default=REPO / "benchmarks" / ".work")
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout whose code runs")
    parser.add_argument("--no-baseline", action="store_true", help="skip DuckDB's bare load")
    parser.add_argument(
        "--answers", action="store_true",
        help="before each later run, the stores answer the cycle-count requests (a copy of LANDING)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for the runs, e.g. OMNISTOCK_DUCKDB_MEMORY_LIMIT=3GB (repeatable)",
    )  # fmt: skip
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)

    landing = args.landing.resolve()
    if not (landing / "reference").is_dir():
        parser.error(f"{landing} is not a landing folder (no reference/)")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    home = args.work_dir / "pipeline-home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    if args.answers:  # the answers land as new files: never in the caller's folder
        landing = Path(shutil.copytree(landing, home / "landing"))
    log = home / "runs.log"
    baseline = None
    if not args.no_baseline:
        with tempfile.TemporaryDirectory(prefix="bench_pipeline_", dir=args.work_dir) as tmp:
            baseline = bare_load(landing, Path(tmp))
    runs, loads, answered = [], [], []
    for number in range(1, args.runs + 1):
        if args.answers and number > 1:
            answered.append(answer_requests(home, landing))
        loads.append(load_average())
        runs.append(run_once(home, landing, args.code.resolve(), log, extra))
        print(f"run {number}: {runs[-1]['seconds']:.1f} s", file=sys.stderr)
    print(report(runs, baseline, loads, os.cpu_count() or 1, answered))
    if extra:
        print(f"\nSettings: {', '.join(args.env)}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "baseline": baseline}, indent=2))


if __name__ == "__main__":
    main()
