"""The transform Definitions: the dbt assets (with their tests as asset checks), the source
freshness checks on the watermark model, the dbt CLI resource and, when the models build on
Spark, the Parquet lake they read (orchestration/defs/lake). Importing this module reads the
dbt manifest (see project.prepare_manifest)."""

import dagster as dg

from orchestration.defs.lake import engine_assets
from orchestration.jobs import pipeline_job

from .assets import omnistock_dbt_assets
from .checks import source_freshness
from .resources import dbt_resource

# In a pipeline run the incremental models' data tests read the rows the build wrote; once a
# week a run tests every row (a row can only go bad by a rule that changed, or by hand).
full_data_tests = dg.ScheduleDefinition(
    name="full_data_tests",
    job=pipeline_job,
    cron_schedule="0 3 * * 0",
    run_config={"ops": {omnistock_dbt_assets.op.name: {"config": {"full_tests": True}}}},
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Sundays 03:00: the whole pipeline with every data test on every row.",
)

defs = dg.Definitions(
    assets=[omnistock_dbt_assets, *engine_assets()],
    asset_checks=[source_freshness],
    schedules=[full_data_tests],
    resources={"dbt": dbt_resource()},
)
