"""Interop: the event store published as an OCEL 2.0 log for other process-mining tools.

The logic lives in `omnistock.ocel`; this asset calls it on demand (job `ocel_export`, not part
of the pipeline job) and writes `<home>/exports/ocel/omnistock.sqlite` (and `.json` if
configured).
"""

import dagster as dg

from omnistock.ocel import export_ocel
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

EVENTS = dg.AssetKey(["raw", "inventory_events"])
LOCATIONS = dg.AssetKey(["raw", "locations"])
SKUS = dg.AssetKey(["raw", "skus"])


class OcelExportConfig(dg.Config):
    formats: list[str] = ["sqlite"]
    """OCEL 2.0 files to write: "sqlite" and/or "json" (JSON is larger and slower to read)."""


@dg.asset(
    group_name="interop",
    owners=["team:data-engineering"],
    kinds={"duckdb", "sqlite", "json"},
    # reads the warehouse: not while another step writes it
    pool=WAREHOUSE_POOL,
    deps=[EVENTS, LOCATIONS, SKUS],
    description="The event store as an OCEL 2.0 object-centric event log (SQLite, optionally "
    "JSON) for pm4py, Celonis, ocpa: orders, order lines, reservations, transfers, returns, "
    "purchase orders, SKUs, locations and integrations as objects; every event with its "
    "attributes and qualified relations (docs/ocel.md).",
)
def ocel_export(config: OcelExportConfig, paths: OmnistockPaths) -> dg.MaterializeResult:
    unknown = sorted(set(config.formats) - {"sqlite", "json"})
    if unknown:
        raise dg.Failure(f"unknown OCEL format(s) {unknown}: use sqlite and/or json")
    out_dir = paths.settings.home / "exports" / "ocel"
    reports = [
        export_ocel(paths.settings.warehouse, out_dir / f"omnistock.{file_format}")
        for file_format in dict.fromkeys(config.formats)
    ]
    first = reports[0]
    return dg.MaterializeResult(
        metadata={
            "events": first.events,
            "objects": first.objects,
            "event_object_relations": first.event_objects,
            "object_object_relations": first.object_objects,
            "objects_by_type": dg.MetadataValue.json(first.objects_by_type),
            **{
                f"path_{report.format}": dg.MetadataValue.path(str(report.path))
                for report in reports
            },
            "dagster/row_count": first.events,
        }
    )
