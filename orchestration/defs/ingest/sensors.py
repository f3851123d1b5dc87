"""The landing sensor: new files in the landing folder launch the pipeline.

The run covers everything downstream too (dbt models, risk, cycle-count requests, the
dashboards' snapshot), so new files flow through to KPIs and actions without a manual run.

A file is new when neither the manifest (`raw.ingested_files`: loaded, or refused with the
same content) nor the cursor (files already requested, keyed by path with size and mtime so
unchanged files are not hashed again on every tick) knows its (path, sha256). Comparing with
the manifest makes a fresh start calm: on a finished demo nothing is new, whatever the cursor.
The run key is derived from the hashes of the new files, so the same files never launch two
runs.

It looks every LANDING_SENSOR_INTERVAL_SECONDS (the daemon evaluates sensors at most every 5 s):
a tick lists the landing folder and hashes only files whose size or mtime is new; only when the
cursor does not know a file does it read the manifest (a read-only open of the warehouse, never
while a run is in progress). Looking often is cheap, and a new file waits seconds, not half a
minute, before its run is requested (docs/benchmarks.md, "Freshness").
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

from omnistock import ingest
from omnistock.ingest.manifest import manifest_state
from omnistock.warehouse import connect, table_exists
from orchestration.jobs import PIPELINE_JOB_NAME
from orchestration.resources import OmnistockPaths


def _load_cursor(raw: str | None) -> dict[str, list]:
    return json.loads(raw) if raw else {}


def settled_files(warehouse: Path) -> set[tuple[str, str]] | None:
    """(path, sha256) of the files the manifest loaded or refused; None while a run holds the
    warehouse (DuckDB has one writer: a read-only open fails until it lets go)."""
    if not warehouse.exists():
        return set()
    try:
        with connect(warehouse, read_only=True) as con:
            if not table_exists(con, "raw", "ingested_files"):
                return set()
            state = manifest_state(con)
    except duckdb.Error:
        return None
    return state.loaded | state.refused


LANDING_SENSOR_INTERVAL_SECONDS = 5


# A run between steps holds no lock: a read-only open there would stop its next step from
# opening the warehouse for writing (DuckDB does not wait for a lock), so the sensor never
# opens the warehouse while a run of this instance is starting or running.
RUNNING_STATUSES = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def run_in_progress(instance: dg.DagsterInstance) -> bool:
    return bool(instance.get_run_ids(dg.RunsFilter(statuses=RUNNING_STATUSES), limit=1))


@dg.sensor(
    job_name=PIPELINE_JOB_NAME,
    minimum_interval_seconds=LANDING_SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the pipeline when new event files land (one run per set of new files).",
)
def landing_sensor(context: dg.SensorEvaluationContext, paths: OmnistockPaths):
    settings = paths.settings
    seen = _load_cursor(context.cursor)
    changed: list[tuple[str, str]] = []  # files the cursor does not know with this content
    for landed in ingest.discover_files(settings.landing_dir, known=seen):
        key = (landed.relative_path, landed.sha256)
        if seen.get(landed.relative_path, [None])[0] != landed.sha256:
            changed.append(key)
        seen[landed.relative_path] = [landed.sha256, landed.size, landed.mtime_ns]
    cursor = json.dumps(seen, sort_keys=True)
    if not changed:  # the usual tick: nothing to compare with the manifest
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"No new files in {settings.landing_dir}."), cursor=cursor
        )
    # the cursor stays where it was until the manifest could be read
    if run_in_progress(context.instance):
        return dg.SkipReason("A run is in progress; looking again on the next tick.")
    settled = settled_files(settings.warehouse)
    if settled is None:
        return dg.SkipReason("A run is writing the warehouse; looking again on the next tick.")
    new_files = [key for key in changed if key not in settled]
    if not new_files:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"No new files in {settings.landing_dir}."), cursor=cursor
        )
    run_key = hashlib.sha256("".join(sha for _, sha in sorted(new_files)).encode()).hexdigest()
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                run_config={
                    "ops": {"inventory_events": {"config": {"files": [p for p, _ in new_files]}}}
                },
                tags={"omnistock/new_files": str(len(new_files))},
            )
        ],
        cursor=cursor,
    )
