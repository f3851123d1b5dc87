"""Landing → dashboards: how long one more source-hour takes to show in the dashboards.

    .venv/bin/python benchmarks/bench_freshness.py                 # reference, 3 hours of erp
    .venv/bin/python benchmarks/bench_freshness.py --hours 5 --source pos

The UI stack runs for real: `omnistock ui` (`dagster dev`: webserver, daemon, code server; and
the dashboards server) on an Omnistock home that already holds a finished run of the scenario:
set up once (simulated, then `omnistock run`) in `<home>-base`, and copied afresh to `<home>`
for every invocation, so each one lands the same hours. Then, one hour at a time (each once the
run that took the previous one in has ended, as hours land an hour apart), a batch file with
the next hour of one source's events is renamed into the landing folder (as a producer would
land it), and the clock runs until the dashboards' published snapshot
(`<home>/snapshots/current`, what the dashboards server reads on its next request) counts the
file's events: `int_source_watermarks.events` of that source grows by the number of events
ingestion stored from the file (the `events_stored` of the run that loaded it).

The next hours are real simulator output: the scenario simulated one day longer (the
simulator's days do not depend on how many follow), whose extra day's file of the source is
cut into hourly batches by `emitted_at`.

For each hour it prints the latency and where it went, from the Dagster instance: landing →
the sensor tick that requested the run → the run starting (queue, run worker start) → its
first step → dbt → the snapshot published → visible. Ends with the median.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

POLL_SECONDS = 0.25
TIMEOUT_SECONDS = 900
SENSOR = "landing_sensor"


def _cli(home: Path, *args: str) -> None:
    env = _environment(home)
    subprocess.run(
        [sys.executable, "-m", "omnistock.app.cli", *args], env=env, cwd=REPO, check=True
    )


def _environment(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OMNISTOCK_", "DAGSTER_", "DBT_"))
    }
    env.update(
        OMNISTOCK_HOME=str(home),
        DAGSTER_HOME=str(home / "dagster_home"),
        PYTHONPATH=str(REPO),
    )
    return env


# --- setting up the home and the next hours ----------------------------------------------------


def prepare(home: Path, scenario: str, seed: int) -> None:
    """A home holding one finished run of the scenario, and the scenario one day longer."""
    import simulator

    landing, longer = home / "landing", home / "one-more-day"
    config = simulator.get_scenario(scenario, seed=seed)
    if not (landing / "reference" / "locations.csv").exists():
        _cli(home, "simulate", "--scenario", scenario, "--seed", str(seed))
    if not (longer / "reference" / "locations.csv").exists():
        _cli(
            home,
            "simulate",
            "--scenario",
            scenario,
            "--seed",
            str(seed),
            "--days",
            str(config.days + 1),
            "--out",
            str(longer),
        )
    if not (home / "snapshots" / "current").exists():
        _cli(home, "run")


def hourly_batches(home: Path, source: str) -> list[tuple[str, bytes, int]]:
    """(file name, Parquet bytes, records) of each hour of the source's extra day, by the
    hour of emitted_at, in order. Only Parquet sources (erp, integration_gateway) are cut:
    their records are whole rows, so a cut never splits one."""
    import io

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    longer = home / "one-more-day" / source
    landed = {path.name for path in (home / "landing" / source).iterdir()}
    extra = sorted(path for path in longer.glob("*.parquet") if path.name not in landed)
    if not extra:
        raise SystemExit(f"no extra day for {source} in {longer} (is it a Parquet source?)")
    table = pq.read_table(extra[0])
    # the hour of emitted_at (2026-03-29T05); a bad record without a readable one goes with
    # the record delivered before it (the file is in delivery order)
    hours = pc.utf8_slice_codeunits(table["emitted_at"], 0, 13)
    readable = pc.fill_null(pc.match_substring_regex(hours, r"^\d{4}-\d\d-\d\dT\d\d$"), False)
    hours = pc.fill_null_backward(pc.fill_null_forward(pc.if_else(readable, hours, None)))
    # records emitted on the day before (late re-deliveries) go with the day's first hour
    day = extra[0].stem
    hours = pc.if_else(pc.starts_with(hours, day), hours, f"{day}T00")
    batches = []
    for hour in sorted(set(hours.to_pylist())):
        rows = table.filter(pc.equal(hours, hour))
        buffer = io.BytesIO()
        pq.write_table(rows, buffer)
        batches.append((f"{hour}h.parquet", buffer.getvalue(), rows.num_rows))
    return batches


# --- the UI stack ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
            return True
    except OSError:
        return False


def start_ui(home: Path, log: Path) -> tuple[subprocess.Popen, int, int]:
    dagster_port, dash_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "omnistock.app.cli",
            "ui",
            "--port",
            str(dagster_port),
            "--dash-port",
            str(dash_port),
        ],  # fmt: skip
        env=_environment(home),
        cwd=REPO,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return process, dagster_port, dash_port


def stop_ui(process: subprocess.Popen) -> None:
    """SIGTERM, as a terminal's user or systemd would: `omnistock ui` stops its group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait(condition, what: str, timeout: float = TIMEOUT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"timed out waiting for {what}")


# --- what the dashboards see -------------------------------------------------------------------


def snapshot_events(home: Path, source: str) -> tuple[str | None, int]:
    """(current snapshot version, events of `source` it counts)."""
    import duckdb

    folder = home / "snapshots"
    try:
        version = os.readlink(folder / "current")
        path = folder / version / "int_source_watermarks.parquet"
        with duckdb.connect() as con:
            rows = con.execute(
                "select events from read_parquet(?) where source_system = ?", [str(path), source]
            ).fetchall()
    except (OSError, duckdb.Error):
        return None, -1
    return version, int(rows[0][0]) if rows else 0


def stored_from(home: Path, relative: str) -> int | None:
    """Events ingestion stored from one landing file: the `events_stored` of the run that
    loaded it alone (read from the Dagster instance: opening the warehouse while a run writes
    it would make the run's next step fail)."""
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = instance.fetch_materializations(
            dg.AssetKey(["raw", "inventory_events"]), limit=10
        ).records
        for record in records:
            run = instance.get_run_by_id(record.run_id)
            if run is not None and relative in json.dumps(run.run_config):
                return int(record.asset_materialization.metadata["events_stored"].value)
    return None


# --- where the time went (the Dagster instance) ------------------------------------------------


def run_breakdown(home: Path, landed_at: float, relative: str) -> dict:
    """The sensor tick and the run that took the file in, with their timestamps."""
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    import dagster as dg
    from dagster._core.scheduler.instigation import TickStatus

    with dg.DagsterInstance.get() as instance:
        runs = [
            run
            for run in instance.get_runs(
                dg.RunsFilter(created_after=datetime.fromtimestamp(landed_at - 1, UTC))
            )
            if relative in json.dumps(run.run_config)
        ]
        if not runs:
            return {}
        run = runs[-1]
        ticks = [
            tick
            for state in instance.all_instigator_state()
            if state.name == SENSOR
            for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=50)
            if tick.status == TickStatus.SUCCESS and run.run_id in tick.run_ids
        ]
        record = instance.get_run_record_by_id(run.run_id)
        events = [
            (entry.timestamp, entry.dagster_event.event_type_value, entry.step_key)
            for entry in instance.all_logs(run.run_id)
            if entry.dagster_event
        ]

    def first(kind: str, step: str | None = None) -> float | None:
        return next(
            (ts for ts, event, key in events if event == kind and (step is None or key == step)),
            None,
        )

    return {
        "tick": ticks[0].timestamp if ticks else None,
        "run_created": record.create_timestamp.timestamp(),
        "run_start": first("PIPELINE_START"),
        "first_step": first("STEP_START"),
        "dbt_start": first("STEP_START", "omnistock_dbt_assets"),
        "dbt_end": first("STEP_SUCCESS", "omnistock_dbt_assets"),
        "snapshot_start": first("STEP_START", "published_snapshot"),
        "snapshot_end": first("STEP_SUCCESS", "published_snapshot"),
        "run_end": first("PIPELINE_SUCCESS") or first("PIPELINE_FAILURE"),
    }


def sensor_ticked_since(home: Path, since: float) -> bool:
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        return any(
            tick.timestamp > since
            for state in instance.all_instigator_state()
            if state.name == SENSOR
            for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
        )


def no_run_in_progress(home: Path) -> bool:
    os.environ["DAGSTER_HOME"] = str(home / "dagster_home")
    import dagster as dg

    status = dg.DagsterRunStatus
    in_progress = [
        status.NOT_STARTED,
        status.QUEUED,
        status.STARTING,
        status.STARTED,
        status.CANCELING,
    ]
    with dg.DagsterInstance.get() as instance:
        return not instance.get_runs(dg.RunsFilter(statuses=in_progress), limit=1)


STAGES = (
    ("sensor", None, "tick"),
    ("queue + run start", "tick", "run_start"),
    ("to first step", "run_start", "first_step"),
    ("ingest + checks", "first_step", "dbt_start"),
    ("dbt", "dbt_start", "dbt_end"),
    ("risk + requests", "dbt_end", "snapshot_start"),
    ("snapshot", "snapshot_start", "snapshot_end"),
    ("seen", "snapshot_end", "visible"),
)


def stages(times: dict) -> dict[str, float | None]:
    out = {}
    for name, begin, end in STAGES:
        start = times["landed"] if begin is None else times.get(begin)
        stop = times.get(end)
        out[name] = stop - start if start is not None and stop is not None else None
    return out


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="reference")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--source", default="erp", help="a Parquet source: erp, integration_gateway"
    )
    parser.add_argument("--hours", type=int, default=3, help="hours landed one after another")
    parser.add_argument(
        "--from-hour", type=int, default=12,
        help="the first hour of the extra day to land (12: the busy afternoon hours)",
    )  # fmt: skip
    parser.add_argument(
        "--home", type=Path, default=REPO / "benchmarks" / ".work" / "freshness",
        help="copied afresh from <home>-base, where the scenario is simulated and run once",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    home = args.home.resolve()
    base = home.with_name(f"{home.name}-base")
    base.mkdir(parents=True, exist_ok=True)
    prepare(base, args.scenario, args.seed)
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(base, home, symlinks=True)
    batches = hourly_batches(home, args.source)
    landing = home / "landing" / args.source
    pending = [
        batch
        for batch in batches
        if int(batch[0][11:13]) >= args.from_hour and not (landing / batch[0]).exists()
    ][: args.hours]
    if len(pending) < args.hours:
        raise SystemExit(f"only {len(pending)} hours from {args.from_hour}:00 in the extra day")

    log = home / "ui.log"
    ui, dagster_port, dash_port = start_ui(home, log)
    results = []
    try:
        _wait(lambda: _answers(dash_port) and _answers(dagster_port), "the UI to answer")
        version_before, events_before = _wait(
            lambda: (lambda v: v if v[0] else None)(snapshot_events(home, args.source)),
            "a published snapshot",
        )
        # the daemon's first sensor tick hashes every landing file once (its cursor): let it
        started = time.time()
        _wait(lambda: sensor_ticked_since(home, started), "the landing sensor's first tick")
        for name, data, records in pending:
            # hours land an hour apart: the run that took the previous one in has ended
            _wait(lambda: no_run_in_progress(home), "the previous run to end")
            load = " ".join(f"{value:.1f}" for value in os.getloadavg())
            temporary = landing / f"{name}.tmp"
            temporary.write_bytes(data)
            landed_at = time.time()
            temporary.rename(landing / name)  # the producer's atomic landing
            relative = f"{args.source}/{name}"
            seen = {"version": version_before}

            def shows_it(seen=seen, events_before=events_before):
                version = os.readlink(home / "snapshots" / "current")
                if version == seen["version"]:
                    return None  # only a new publish can show it
                seen["version"] = version
                found, events = snapshot_events(home, args.source)
                return (found, events) if events > events_before else None

            version, events = _wait(shows_it, "the snapshot to show the new events")
            visible_at = time.time()
            stored = _wait(lambda relative=relative: stored_from(home, relative), "the manifest")
            if events - events_before != stored:
                raise SystemExit(
                    f"the snapshot counts {events - events_before} new {args.source} events, "
                    f"ingestion stored {stored} from {relative}"
                )
            times = {"landed": landed_at, "visible": visible_at}
            times.update(run_breakdown(home, landed_at, relative))
            result = {
                "file": relative,
                "records": records,
                "stored": stored,
                "seconds": visible_at - landed_at,
                "stages": stages(times),
                "load": load,
            }
            results.append(result)
            print(
                f"{relative}: {records} records ({stored} stored) visible after "
                f"{result['seconds']:.1f} s (load {load})",
                file=sys.stderr,
            )
            events_before, version_before = events, version
        _wait(lambda: no_run_in_progress(home), "the last run to end")
    finally:
        stop_ui(ui)

    names = [name for name, _, _ in STAGES]
    print(
        "| hour landed | records | landing → dashboards s | " + " | ".join(names) + " | load avg |"
    )
    print("|---|---:|---:|" + "---:|" * len(names) + "---|")
    for result in results:
        cells = [
            f"{value:.1f}" if value is not None else "–" for value in result["stages"].values()
        ]
        print(
            f"| {result['file']} | {result['records']:,} | **{result['seconds']:.1f}** | "
            + " | ".join(cells)
            + f" | {result['load']} |"
        )
    median = statistics.median(result["seconds"] for result in results)
    print(
        f"\nMedian landing → dashboards: **{median:.1f} s** over {len(results)} hours "
        f"({args.scenario}, {args.source}); {os.cpu_count()} cores."
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
