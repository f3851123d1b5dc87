"""The landing sensor: new files in the landing folder launch the pipeline.

The run covers everything downstream too (dbt models, risk, cycle-count requests, the
dashboards' snapshot), so new files flow through to KPIs and actions without a manual run.

The cursor remembers the sha256 of every file already requested (keyed by path, with size and
mtime so unchanged files are not hashed again on every tick). The run key is derived from the
hashes of the new files, so the same files never launch two runs.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from omnistock import ingest
from orchestration.jobs import PIPELINE_JOB_NAME
from orchestration.resources import OmnistockPaths


def _load_cursor(raw: str | None) -> dict[str, list]:
    return json.loads(raw) if raw else {}


@dg.sensor(
    job_name=PIPELINE_JOB_NAME,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the pipeline when new event files land (one run per set of new files).",
)
def landing_sensor(context: dg.SensorEvaluationContext, paths: OmnistockPaths):
    landing = paths.settings.landing_dir
    seen = _load_cursor(context.cursor)
    new_files: list[tuple[str, str]] = []
    for landed in ingest.discover_files(landing, known=seen):
        if seen.get(landed.relative_path, [None])[0] != landed.sha256:
            new_files.append((landed.relative_path, landed.sha256))
        seen[landed.relative_path] = [landed.sha256, landed.size, landed.mtime_ns]
    if not new_files:
        return dg.SkipReason(f"No new files in {landing}.")
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
        cursor=json.dumps(seen, sort_keys=True),
    )
