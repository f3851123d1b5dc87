"""The cycle-count use case: high-risk locations get a request with a prioritized SKU list.

`request_cycle_counts` runs it whole: read the scores → plan the requests (the policy's
threshold and cooldown, `ml.count_plan`) → write the outbox files → record the requests →
refresh the status of earlier requests from the counts that came back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ml.count_plan import plan_counts
from ml.count_policy import CycleCountPolicy
from ml.inputs import data_as_of
from omnistock.tables import LOCATION_CATEGORY_RISK, LOCATION_RISK
from omnistock.warehouse import read_table

from . import outbox, request_store


@dataclass(frozen=True)
class CycleCountOutcome:
    requests_created: int
    outbox_files: dict[str, Path]  # request_id -> the file written
    status: dict[str, int]  # requests per status, all of them
    # The cooldown's record as the sensor reads it: location_id, requested_at (latest).
    latest_per_location: pl.DataFrame
    latest_requests: pl.DataFrame  # the newest requests with status and results


def request_cycle_counts(
    con: duckdb.DuckDBPyConnection,
    policy: CycleCountPolicy,
    outbox_dir: str | Path,
    locations: list[str] | None = None,
) -> CycleCountOutcome:
    """Request counts at the data horizon for the locations over the policy's threshold and
    out of its cooldown (only among `locations` when given), then refresh every request's
    status."""
    request_store.ensure_tables(con)
    risk = read_table(con, LOCATION_RISK.schema, LOCATION_RISK.name)
    category_risk = read_table(con, LOCATION_CATEGORY_RISK.schema, LOCATION_CATEGORY_RISK.name)
    if locations:
        risk = risk.filter(pl.col("location_id").is_in(locations))
    plan = plan_counts(
        con, risk, category_risk, data_as_of(con), policy, request_store.recent_requests(con)
    )
    files = outbox.write_outbox(outbox.outbox_payloads(plan.requests, plan.lines), outbox_dir)
    created = request_store.record_requests(
        con, plan.requests, plan.lines, {request: str(path) for request, path in files.items()}
    )
    return CycleCountOutcome(
        requests_created=created,
        outbox_files=files,
        status=request_store.refresh_status(con),
        latest_per_location=request_store.latest_request_per_location(con),
        latest_requests=request_store.latest_requests(con),
    )
