"""The raw tables published as the partitioned Parquet lake (omnistock.lake) that Spark reads.

In the pipeline only when the models are built on Spark (`OMNISTOCK_ENGINE=spark`, see
orchestration.jobs); with DuckDB it can still be materialized on demand, e.g. for other tools.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from omnistock.lake import publish_lake
from orchestration.defs.ingest.assets import EVENTS, LOCATIONS, SKUS
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

LAKE_GROUP = "lake"
RAW_LAKE = dg.AssetKey(["raw_lake"])


@dg.asset(
    key=RAW_LAKE,
    group_name=LAKE_GROUP,
    deps=[EVENTS, LOCATIONS, SKUS],
    owners=["team:data-platform"],
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,
    description="The event store and reference tables as Parquet files, events partitioned by "
    "day and source system: what Spark (and any file-reading engine) reads as the raw data. "
    "Rewritten whole when the store changed, left alone when not.",
)
def raw_lake(duckdb: DuckDBResource, paths: OmnistockPaths) -> dg.MaterializeResult:
    lake_dir = paths.settings.lake_dir
    with duckdb.get_connection() as con:
        report = publish_lake(con, lake_dir)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(lake_dir)),
            "rewritten": report.rewritten,
            "dagster/row_count": report.rows["inventory_events"],
            "partitions": report.partitions,
            "seconds": round(report.seconds, 2),
        }
    )
