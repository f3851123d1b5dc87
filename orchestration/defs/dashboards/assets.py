"""The planners' view: a published Parquet snapshot of the marts and a shareable HTML report.

The dashboards read only the snapshot (swapped in atomically), never the live warehouse, so
they keep answering while a run holds DuckDB's single write lock.
"""

import dagster as dg
from dagster_dbt import get_asset_key_for_model
from dagster_duckdb import DuckDBResource

from dashboards.snapshot import DASHBOARD_SLICES, DASHBOARD_TABLES, publish_snapshot, read_manifest
from omnistock.config import dashboard_url
from orchestration.defs.actions.assets import cycle_count_requests
from orchestration.defs.intelligence.assets import location_risk
from orchestration.defs.transform import omnistock_dbt_assets
from orchestration.policy import CycleCountPolicyResource
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

GROUP = "dashboards"
OWNERS = ["team:inventory-planning"]
# the dbt models the snapshot reads: its tables and the sources of its slices
MARTS = [
    *(name for name in DASHBOARD_TABLES if not name.startswith(("location_", "cycle_count"))),
    *sorted({table_slice.source for table_slice in DASHBOARD_SLICES.values()}),
]


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"duckdb", "parquet"},
    pool=WAREHOUSE_POOL,
    deps=[
        *(get_asset_key_for_model([omnistock_dbt_assets], model) for model in MARTS),
        location_risk,
        cycle_count_requests,
    ],
    description="The snapshot planners' dashboards read: the marts, risk and cycle-count "
    "tables exported to Parquet and swapped in atomically after every run, with what changed "
    "since the previous snapshot and the exception queue's work log carried in.",
)
def published_snapshot(
    duckdb: DuckDBResource, paths: OmnistockPaths, policy: CycleCountPolicyResource
):
    snapshots_dir = paths.settings.snapshots_dir
    with duckdb.get_connection() as con:
        # the deployed policy's threshold reaches the risk page through the manifest
        version = publish_snapshot(
            con, snapshots_dir, risk_threshold=policy.policy().risk_threshold
        )
    manifest = read_manifest(snapshots_dir, version.name)
    dashboards_at = dashboard_url()  # the port `omnistock ui` serves them on
    return dg.MaterializeResult(
        metadata={
            "version": version.name,
            "as_of": str(manifest.get("as_of")),
            "path": dg.MetadataValue.path(str(version)),
            "tables": dg.MetadataValue.json(manifest.get("tables", {})),
            "missing_tables": ", ".join(manifest.get("missing", [])) or "none",
            "dashboards": dg.MetadataValue.url(f"{dashboards_at}/overview"),
            "what_changed": dg.MetadataValue.url(f"{dashboards_at}/changes"),
            "compared_with": str((manifest.get("previous") or {}).get("version")),
            "exception_queue": dg.MetadataValue.url(f"{dashboards_at}/exceptions"),
            "location_risk": dg.MetadataValue.url(f"{dashboards_at}/risk"),
        }
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"plotly", "html"},
    deps=[published_snapshot],
    description="A self-contained HTML report of the headline figures (opens offline, no "
    "server): the thing to mail to a regional manager.",
)
def planner_report(paths: OmnistockPaths):
    # the report renders with plotly and the dashboards' pages: loaded by this step only
    from dashboards.report import REPORT_FILE, write_report

    settings = paths.settings
    report = write_report(settings.snapshots_dir, settings.reports_dir / REPORT_FILE)
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(report)),
            "open": dg.MetadataValue.url(report.as_uri()),
            "size_kb": round(report.stat().st_size / 1024, 1),
        }
    )
