"""The transform Definitions: the dbt assets (with their tests as asset checks), the source
freshness checks on the watermark model and the dbt CLI resource. Importing this module reads
the dbt manifest (see project.prepare_manifest)."""

import dagster as dg

from .assets import omnistock_dbt_assets
from .checks import source_freshness
from .resources import dbt_resource

defs = dg.Definitions(
    assets=[omnistock_dbt_assets],
    asset_checks=[source_freshness],
    resources={"dbt": dbt_resource()},
)
