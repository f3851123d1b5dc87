"""Cross-domain jobs."""

import dagster as dg

PIPELINE_JOB_NAME = "omnistock_pipeline"

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Everything, in dependency order: ingest → dbt models → risk → cycle counts → "
    "published snapshot and report.",
)
