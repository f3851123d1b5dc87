"""Cycle-count requests: high-risk locations get a prioritized SKU list to count.

Each request is written to `actions.cycle_count_requests` (+ its SKU lines) and as one JSON
file in `<home>/outbox/cycle_counts/`, the hand-off a store system picks up. On every
materialization the status of earlier requests is refreshed from the counts that came back.
The use case is `omnistock.actions.request_counts`; this asset runs it and reports it.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from omnistock.actions.request_counts import request_cycle_counts
from orchestration.defs.intelligence.assets import location_risk
from orchestration.metadata import markdown_table
from orchestration.policy import CycleCountPolicyResource
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

RECENT_REQUESTS = "recent_requests"  # metadata: location_id, requested_at; the sensor reads it


class CycleCountConfig(dg.Config):
    locations: list[str] = []
    """Locations to request counts for (the sensor passes one); empty = every location over
    the risk threshold and out of cooldown."""


@dg.asset(
    group_name="actions",
    owners=["team:store-operations"],
    kinds={"duckdb", "polars"},
    pool=WAREHOUSE_POOL,
    deps=[location_risk],
    description="Cycle-count requests for high-risk locations, each with the SKUs to count "
    "first and the discrepancy value expected, written to the outbox for store systems; "
    "status 'counted' with the results once the counts come back.",
)
def cycle_count_requests(
    config: CycleCountConfig,
    duckdb: DuckDBResource,
    paths: OmnistockPaths,
    policy: CycleCountPolicyResource,
):
    deployed = policy.policy()
    outbox_dir = paths.settings.cycle_count_outbox
    with duckdb.get_connection() as con:
        outcome = request_cycle_counts(con, deployed, outbox_dir, config.locations or None)
    return dg.MaterializeResult(
        metadata={
            "requests_created": outcome.requests_created,
            "outbox_files_written": len(outcome.outbox_files),
            "risk_threshold": deployed.risk_threshold,
            "cooldown_days": deployed.cooldown_days,
            "status": dg.MetadataValue.json(outcome.status),
            # the cooldown's one record, as the cycle-count sensor reads it
            RECENT_REQUESTS: dg.MetadataValue.json(
                [
                    {
                        "location_id": row["location_id"],
                        "requested_at": row["requested_at"].isoformat(),
                    }
                    for row in outcome.latest_per_location.iter_rows(named=True)
                ]
            ),
            "latest_requests": markdown_table(outcome.latest_requests),
            "outbox": dg.MetadataValue.path(str(outbox_dir)),
        }
    )
