"""Cross-domain jobs."""

import dagster as dg

PIPELINE_JOB_NAME = "omnistock_pipeline"
OCEL_EXPORT_JOB_NAME = "ocel_export_job"

# On-demand exports: minutes on a large store, not something every landing should pay for.
ON_DEMAND = dg.AssetSelection.groups("interop")

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all() - ON_DEMAND,
    description="Everything, in dependency order: ingest → dbt models → risk → cycle counts → "
    "published snapshot and report (exports excluded: they run on demand).",
)

ocel_export_job = dg.define_asset_job(
    OCEL_EXPORT_JOB_NAME,
    selection=ON_DEMAND,
    description="The event store as an OCEL 2.0 log (`omnistock run --job ocel_export_job`).",
)
