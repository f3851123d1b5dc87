"""The raw tables published as the partitioned Parquet lake (omnistock.lake) that Spark reads.

With `OMNISTOCK_LAKE_URL` set (a Spark cluster), the published folder is mirrored there.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from omnistock.lake import EVENTS_TABLE, lake_dir, lake_url, mirror_lake, publish_lake
from orchestration.defs.ingest.assets import EVENTS, LOCATIONS, SKUS
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

RAW_LAKE = dg.AssetKey(["raw_lake"])
LAKE_GROUP = "lake"


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
    folder = lake_dir(paths.settings)
    with duckdb.get_connection() as con:
        report = publish_lake(con, folder)
    metadata = {
        "path": dg.MetadataValue.path(str(folder)),
        "rewritten": report.rewritten,
        "dagster/row_count": report.rows[EVENTS_TABLE],
        "partitions": report.partitions,
        "seconds": round(report.seconds, 2),
    }
    url = lake_url()
    if url:  # a Spark cluster reads a copy on object storage
        metadata["mirrored_to"] = dg.MetadataValue.url(url)
        metadata["files_mirrored"] = mirror_lake(folder, url)
    return dg.MaterializeResult(metadata=metadata)
