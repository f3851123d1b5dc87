"""The transform Definitions: the dbt assets (with their tests as asset checks), the source
freshness checks on the watermark model, the dbt CLI resource and, when the models build on
Spark, the Parquet lake they read (orchestration/defs/lake). Importing this module reads the
dbt manifest (see project.prepare_manifest)."""

import dagster as dg

from orchestration.defs.lake import engine_assets

from .assets import omnistock_dbt_assets
from .checks import source_freshness
from .resources import dbt_resource

defs = dg.Definitions(
    assets=[omnistock_dbt_assets, *engine_assets()],
    asset_checks=[source_freshness],
    resources={"dbt": dbt_resource()},
)
