"""The raw tables published as the partitioned Parquet lake (omnistock.lake) that Spark reads.

In the pipeline only when the models are built on Spark (`OMNISTOCK_ENGINE=spark`, see
orchestration.jobs); with DuckDB it can still be materialized on demand, e.g. for other tools.
With `OMNISTOCK_LAKE_URL` set (a Spark cluster), the published folder is mirrored there.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from omnistock.lake import mirror_lake, publish_lake
from orchestration.defs.ingest.assets import EVENTS, LOCATIONS, SKUS
from orchestration.jobs import LAKE_GROUP
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

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
    settings = paths.settings
    with duckdb.get_connection() as con:
        report = publish_lake(con, settings.lake_dir)
    metadata = {
        "path": dg.MetadataValue.path(str(settings.lake_dir)),
        "rewritten": report.rewritten,
        "dagster/row_count": report.rows["inventory_events"],
        "partitions": report.partitions,
        "seconds": round(report.seconds, 2),
    }
    if settings.lake_url:  # a Spark cluster reads a copy on object storage
        metadata["mirrored_to"] = dg.MetadataValue.url(settings.lake_url)
        metadata["files_mirrored"] = mirror_lake(settings.lake_dir, settings.lake_url)
    return dg.MaterializeResult(metadata=metadata)
