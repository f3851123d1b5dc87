"""Cross-domain jobs."""

import dagster as dg

from omnistock.config import get_engine

PIPELINE_JOB_NAME = "omnistock_pipeline"
OCEL_EXPORT_JOB_NAME = "ocel_export_job"
LAKE_GROUP = "lake"  # the raw_lake asset (orchestration/defs/ingest/lake.py)

# On-demand exports: minutes on a large store, not something every landing should pay for.
ON_DEMAND = dg.AssetSelection.groups("interop")
# The Parquet lake is Spark's input: published before dbt when the models build on Spark.
PIPELINE_EXCLUDES = (
    ON_DEMAND if get_engine() == "spark" else ON_DEMAND | dg.AssetSelection.groups(LAKE_GROUP)
)

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB_NAME,
    selection=dg.AssetSelection.all() - PIPELINE_EXCLUDES,
    description="Everything, in dependency order: ingest → (on Spark: the Parquet lake) → dbt "
    "models → risk → cycle counts → published snapshot and report (exports excluded: they run "
    "on demand).",
)

ocel_export_job = dg.define_asset_job(
    OCEL_EXPORT_JOB_NAME,
    selection=ON_DEMAND,
    description="The event store as an OCEL 2.0 log (`omnistock run --job ocel_export_job`).",
)
