"""The cycle-count sensor: a location_risk materialization that no run acted on → one run per
risky location that the requests' own policy would request.

It reads the scores from the materialization's metadata and the recent requests from the
latest `cycle_count_requests` materialization's metadata (never the live warehouse, which a
run may be writing). The requests table is the one record of what was requested: the sensor
keeps none of its own (its cursor is the last risk materialization it looked at), and selects
with the same function and the same policy resource as the requests asset
(`ml.count_policy.select_locations`: threshold, cooldown), so it never starts a run that would
create nothing. A risk materialization from a run that also builds the requests (the pipeline
job) was acted on by that run and is skipped. Run keys are the request ids (location and day).
"""

import json
from datetime import datetime

import dagster as dg
import polars as pl

from ml.count_policy import select_locations
from orchestration.defs.actions.assets import RECENT_REQUESTS, cycle_count_requests
from orchestration.defs.intelligence.assets import location_risk
from orchestration.jobs import PIPELINE_JOB_NAME
from orchestration.policy import CycleCountPolicyResource

CYCLE_COUNT_JOB_NAME = "cycle_count"


def _acted_on_by_its_run(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Did the run that scored also build the requests from those scores?"""
    run = instance.get_run_by_id(run_id) if run_id else None
    if run is None:
        return False
    if run.asset_selection:  # a subset; None or empty means the job's whole selection
        return cycle_count_requests.key in run.asset_selection
    return run.job_name == PIPELINE_JOB_NAME


def recent_requests_of(instance: dg.DagsterInstance) -> pl.DataFrame:
    """The recent requests as the latest cycle_count_requests materialization recorded them."""
    latest = instance.fetch_materializations(cycle_count_requests.key, limit=1).records
    metadata = latest[0].asset_materialization.metadata if latest else {}
    rows = metadata[RECENT_REQUESTS].value if RECENT_REQUESTS in metadata else []
    return pl.DataFrame(
        {
            "location_id": [row["location_id"] for row in rows],
            "requested_at": [datetime.fromisoformat(row["requested_at"]) for row in rows],
        },
        schema={"location_id": pl.String, "requested_at": pl.Datetime("us")},
    )


@dg.sensor(
    job_name=CYCLE_COUNT_JOB_NAME,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a cycle count for every location whose risk is over the threshold, "
    "at most once per location and day and not again inside the cooldown, when the run that "
    "scored did not build the requests itself.",
)
def cycle_count_sensor(context: dg.SensorEvaluationContext, policy: CycleCountPolicyResource):
    seen = json.loads(context.cursor)["storage_id"] if context.cursor else None
    latest = context.instance.fetch_materializations(location_risk.key, limit=1).records
    if not latest or latest[0].storage_id == seen:
        return dg.SkipReason("No new location_risk materialization.")
    event = latest[0]
    cursor = json.dumps({"storage_id": event.storage_id})
    if _acted_on_by_its_run(context.instance, event.run_id):
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"Run {event.run_id} built the requests from its scores."),
            cursor=cursor,
        )
    metadata = event.asset_materialization.metadata
    scores = pl.DataFrame(
        metadata["scores"].value,
        schema={
            "location_id": pl.String,
            "risk_score": pl.Float64,
            "risk_rank": pl.Int64,
            "reason": pl.String,
        },
    )
    as_of = datetime.fromisoformat(metadata["as_of"].value)
    selected = select_locations(
        scores, as_of, recent_requests_of(context.instance), policy.policy()
    )
    requests = [
        dg.RunRequest(
            run_key=row["request_id"],
            run_config={
                "ops": {"cycle_count_requests": {"config": {"locations": [row["location_id"]]}}}
            },
            tags={
                "omnistock/location": row["location_id"],
                "omnistock/risk": f"{row['risk_score']:.3f}",
            },
        )
        for row in selected.iter_rows(named=True)
    ]
    return dg.SensorResult(run_requests=requests, cursor=cursor)
