"""Lake domain: the event store as the Parquet lake Spark reads (OMNISTOCK_ENGINE=spark).

`engine_assets()` is what the code location loads: the lake asset only when the models build
on Spark. Then the pipeline job (everything but the on-demand exports) publishes the lake after
ingestion and before dbt, and the dbt models that read sources depend on it
(transform/translator.py). On DuckDB nothing reads the lake, so no run pays for a copy of the
store (`python -m omnistock.lake` publishes it by hand). The transform Definitions carry it,
since it exists for the Spark build alone.
"""

import dagster as dg

from omnistock.lake import get_engine
from orchestration.defs.lake.assets import LAKE_GROUP, RAW_LAKE, raw_lake


def engine_assets() -> list[dg.AssetsDefinition]:
    return [raw_lake] if get_engine() == "spark" else []


__all__ = ["LAKE_GROUP", "RAW_LAKE", "engine_assets", "raw_lake"]
