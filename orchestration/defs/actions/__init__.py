"""Actions domain: cycle-count requests triggered by location risk."""

import dagster as dg

from orchestration.defs.actions.assets import cycle_count_requests
from orchestration.defs.actions.sensors import CYCLE_COUNT_JOB_NAME, cycle_count_sensor

cycle_count_job = dg.define_asset_job(
    CYCLE_COUNT_JOB_NAME,
    selection=dg.AssetSelection.assets(cycle_count_requests),
    description="Write cycle-count requests (table + outbox file) for the configured locations.",
)

defs = dg.Definitions(
    assets=[cycle_count_requests], jobs=[cycle_count_job], sensors=[cycle_count_sensor]
)
