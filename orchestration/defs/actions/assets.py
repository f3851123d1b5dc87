"""Cycle-count requests: high-risk locations get a prioritized SKU list to count.

Each request is written to `actions.cycle_count_requests` (+ its SKU lines) and as one JSON
file in `<home>/outbox/cycle_counts/`, the hand-off a store system picks up. On every
materialization the status of earlier requests is refreshed from the counts that came back.
"""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from ml import cycle_counts as policy_rules
from ml import inputs
from omnistock import cycle_counts
from omnistock.warehouse import read_table
from orchestration.defs.intelligence.assets import location_risk
from orchestration.metadata import markdown_table
from orchestration.policy import cycle_count_policy
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths


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
def cycle_count_requests(config: CycleCountConfig, duckdb: DuckDBResource, paths: OmnistockPaths):
    policy = cycle_count_policy()
    with duckdb.get_connection() as con:
        cycle_counts.ensure_tables(con)
        risk = read_table(con, "intelligence", "location_risk")
        category_risk = read_table(con, "intelligence", "location_category_risk")
        as_of = inputs.data_as_of(con)
        if config.locations:
            risk = risk.filter(pl.col("location_id").is_in(config.locations))
        selected = policy_rules.select_locations(
            risk, as_of, cycle_counts.recent_requests(con), policy
        )
        if selected.height:
            risk_inputs = inputs.load_risk_inputs(con, as_of)
            locations = selected["location_id"].to_list()
            estimates = policy_rules.estimate_sku_discrepancies(
                risk_inputs, as_of, category_risk, policy=policy
            ).filter(pl.col("location_id").is_in(locations))
            requests, lines = policy_rules.build_requests(selected, estimates, as_of, policy)
        else:
            requests = lines = pl.DataFrame()
        files = policy_rules.write_outbox(
            policy_rules.outbox_payloads(requests, lines) if requests.height else [],
            paths.settings.cycle_count_outbox,
        )
        created = cycle_counts.record_requests(
            con, requests, lines, {request: str(f) for request, f in files.items()}
        )
        status = cycle_counts.refresh_status(con)
        latest_per_location = (
            cycle_counts.recent_requests(con)
            .group_by("location_id")
            .agg(pl.col("requested_at").max())
            .sort("location_id")
        )
        table = con.sql(
            "select request_id, location_id, requested_at, status, sku_count, skus_counted, "
            "skus_inaccurate from actions.cycle_count_requests order by requested_at desc, "
            "risk_rank limit 10"
        ).pl()
    return dg.MaterializeResult(
        metadata={
            "requests_created": created,
            "outbox_files_written": len(files),
            "risk_threshold": policy.risk_threshold,
            "cooldown_days": policy.cooldown_days,
            "status": dg.MetadataValue.json(status),
            # the cooldown's one record, as the cycle-count sensor reads it
            "recent_requests": dg.MetadataValue.json(
                [
                    {
                        "location_id": row["location_id"],
                        "requested_at": row["requested_at"].isoformat(),
                    }
                    for row in latest_per_location.iter_rows(named=True)
                ]
            ),
            "latest_requests": markdown_table(table),
            "outbox": dg.MetadataValue.path(str(paths.settings.cycle_count_outbox)),
        }
    )
