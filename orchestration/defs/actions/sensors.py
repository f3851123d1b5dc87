"""The cycle-count sensor: each new location_risk materialization → one run per risky location.

It reads the scores from the materialization's metadata (never the live warehouse, which a
run may be writing). Run keys are the request ids (location and day), and the cursor keeps
when each location was last requested so none is recounted inside the cooldown.
"""

import json
from datetime import datetime, timedelta

import dagster as dg

from ml.cycle_counts import request_id
from orchestration.defs.intelligence.assets import location_risk
from orchestration.policy import cycle_count_policy

CYCLE_COUNT_JOB_NAME = "cycle_count"


@dg.sensor(
    job_name=CYCLE_COUNT_JOB_NAME,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Requests a cycle count for every location whose risk is over the threshold, "
    "at most once per location and day and not again inside the cooldown.",
)
def cycle_count_sensor(context: dg.SensorEvaluationContext):
    state = json.loads(context.cursor) if context.cursor else {"storage_id": None, "requested": {}}
    latest = context.instance.fetch_materializations(location_risk.key, limit=1).records
    if not latest or latest[0].storage_id == state["storage_id"]:
        return dg.SkipReason("No new location_risk materialization.")
    event = latest[0]
    metadata = event.asset_materialization.metadata
    scores = metadata["scores"].value
    as_of = datetime.fromisoformat(metadata["as_of"].value)
    policy = cycle_count_policy()
    cooldown_start = as_of - timedelta(days=policy.cooldown_days)
    requests = []
    for score in scores:
        location = score["location_id"]
        last = state["requested"].get(location)
        if score["risk_score"] < policy.risk_threshold:
            continue
        if last and datetime.fromisoformat(last) > cooldown_start:
            continue
        state["requested"][location] = as_of.isoformat()
        requests.append(
            dg.RunRequest(
                run_key=request_id(location, as_of),
                run_config={"ops": {"cycle_count_requests": {"config": {"locations": [location]}}}},
                tags={
                    "omnistock/location": location,
                    "omnistock/risk": f"{score['risk_score']:.3f}",
                },
            )
        )
    state["storage_id"] = event.storage_id
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(state))
