"""The transform Definitions: the dbt assets (with their tests as asset checks) and the dbt
CLI resource. Importing this module reads the dbt manifest (see project.prepare_manifest)."""

import dagster as dg

from .assets import omnistock_dbt_assets
from .resources import dbt_resource

defs = dg.Definitions(assets=[omnistock_dbt_assets], resources={"dbt": dbt_resource()})
