"""Ingest domain: reference data and inventory events into the DuckDB event store, and its
Parquet lake."""

import dagster as dg

from orchestration.defs.ingest.assets import inventory_events, reference_data
from orchestration.defs.ingest.checks import ALL_CHECKS
from orchestration.defs.ingest.lake import raw_lake
from orchestration.defs.ingest.sensors import landing_sensor

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(reference_data, inventory_events),
    description="Load reference data and new landing files into the event store.",
)

defs = dg.Definitions(
    assets=[reference_data, inventory_events, raw_lake],
    asset_checks=ALL_CHECKS,
    jobs=[ingest_job],
    sensors=[landing_sensor],
)
