"""The count plan: from risk scores to cycle-count requests and their SKU lines, on the
warehouse (select → estimate → build, `ml.count_policy` and `ml.sku_discrepancies`).

One sequence for both of its callers: the requests (`omnistock.actions`, with the cooldown's
record) and a model version's frozen count plan (`ml.scoring`, no cooldown: every location
over the threshold).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from .count_policy import CycleCountPolicy, build_requests, select_locations
from .input_frames import RiskInputs
from .inputs import load_risk_inputs
from .sku_discrepancies import estimate_sku_discrepancies


@dataclass(frozen=True)
class CountPlan:
    requests: pl.DataFrame  # ml.count_policy.build_requests' requests
    lines: pl.DataFrame  # and their prioritized SKU lines


def plan_counts(
    con: duckdb.DuckDBPyConnection,
    location_risk: pl.DataFrame,
    location_category_risk: pl.DataFrame | None,
    as_of: datetime,
    policy: CycleCountPolicy,
    recent_requests: pl.DataFrame | None = None,
) -> CountPlan:
    """The requests the policy makes from these scores at as_of (none for a location
    requested within the cooldown, per `recent_requests`: location_id, requested_at). The
    SKU evidence is read from the marts only when a location is selected."""
    selected = select_locations(location_risk, as_of, recent_requests, policy)
    risk_inputs = load_risk_inputs(con, as_of) if selected.height else RiskInputs.from_frames()
    estimates = estimate_sku_discrepancies(
        risk_inputs, as_of, location_category_risk, policy=policy
    ).filter(pl.col("location_id").is_in(selected["location_id"].to_list()))
    return CountPlan(*build_requests(selected, estimates, as_of, policy))
