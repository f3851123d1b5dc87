"""The cycle-count policy (SPEC 6): which locations get a request now, and which SKUs each
request lists, first first.

Functions of frames, no I/O: `select_locations` (threshold, cooldown, the per-run cap; one
request id per location and day, also the sensor's run_key) is what both the cycle-count
sensor and the requests asset apply; `build_requests` turns the selected locations and their
SKU estimates (`ml.sku_discrepancies`) into requests with prioritized lines. `ml.count_plan`
chains them on the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from .input_frames import to_naive_utc


@dataclass(frozen=True)
class CycleCountPolicy:
    risk_threshold: float = 0.9
    max_locations: int | None = None  # per run, riskiest first
    cooldown_days: float = 7.0
    max_skus_per_location: int = 25
    # SKUs less likely than this to be wrong are not worth a count, except that every
    # selected location gets at least its `min_skus_per_location` most valuable ones.
    min_inaccuracy_probability: float = 0.1
    min_skus_per_location: int = 5
    # Pseudo-counts pulling a sparse discrepancy rate towards its parent's rate.
    prior_counts: float = 5.0


DEFAULT_POLICY = CycleCountPolicy()


def request_id(location_id: str, day: datetime) -> str:
    """One request per location and day: also the sensor's run_key."""
    return f"CC-{location_id}-{day:%Y%m%d}"


def locations_in_cooldown(
    recent_requests: pl.DataFrame | None,
    as_of: datetime,
    cooldown_days: float = CycleCountPolicy.cooldown_days,
) -> set[str]:
    """Locations requested (or counted on request) less than `cooldown_days` before as_of.

    `recent_requests`: location_id, requested_at (e.g. the cycle-count request table).
    """
    if recent_requests is None or recent_requests.is_empty():
        return set()
    since = to_naive_utc(as_of) - timedelta(days=cooldown_days)
    recent = recent_requests.filter(pl.col("requested_at") > since)
    return set(recent["location_id"].to_list())


def select_locations(
    location_risk: pl.DataFrame,
    as_of: datetime,
    recent_requests: pl.DataFrame | None = None,
    policy: CycleCountPolicy = DEFAULT_POLICY,
) -> pl.DataFrame:
    """Locations to count now: risk_score ≥ threshold and not in cooldown, riskiest first.

    Columns: request_id, location_id, risk_score, risk_rank, reason.
    """
    cooling = locations_in_cooldown(recent_requests, as_of, policy.cooldown_days)
    chosen = (
        location_risk.filter(
            (pl.col("risk_score") >= policy.risk_threshold)
            & ~pl.col("location_id").is_in(list(cooling))
        )
        .sort("risk_rank")
        .head(policy.max_locations if policy.max_locations is not None else location_risk.height)
    )
    day = to_naive_utc(as_of)
    ids = pl.Series(
        "request_id", [request_id(loc, day) for loc in chosen["location_id"]], dtype=pl.String
    )
    return chosen.with_columns(ids).select(
        "request_id", "location_id", "risk_score", "risk_rank", "reason"
    )


def build_requests(
    selected: pl.DataFrame,
    sku_estimates: pl.DataFrame,
    requested_at: datetime,
    policy: CycleCountPolicy = DEFAULT_POLICY,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Requests for the selected locations, each with its prioritized SKU list.

    Returns (requests, request_lines). requests: request_id, location_id, requested_at,
    risk_score, risk_rank, reason, sku_count, expected_discrepancy_value (total).
    request_lines: request_id, location_id, risk_rank, priority (1 = count first), sku,
    category, abc_class, book_quantity, days_since_last_count, phantom_probability,
    inaccuracy_probability, expected_discrepancy_value, reason.
    """
    requested_at = to_naive_utc(requested_at)
    rank = pl.int_range(1, pl.len() + 1).over("location_id")
    worth_counting = (pl.col("inaccuracy_probability") >= policy.min_inaccuracy_probability) | (
        pl.col("priority") <= policy.min_skus_per_location
    )
    lines = (
        sku_estimates.join(
            selected.select("request_id", "location_id", "risk_rank"), on="location_id"
        )
        .sort(
            ["risk_rank", "expected_discrepancy_value", "inaccuracy_probability", "sku"],
            descending=[False, True, True, False],
        )
        .with_columns(rank.alias("priority"))
        .filter(worth_counting)
        .with_columns(rank.alias("priority"))
        .filter(pl.col("priority") <= policy.max_skus_per_location)
        .select(
            "request_id",
            "location_id",
            "risk_rank",
            "priority",
            "sku",
            "category",
            "abc_class",
            "book_quantity",
            "days_since_last_count",
            "phantom_probability",
            "inaccuracy_probability",
            "expected_discrepancy_value",
            "reason",
        )
    )
    totals = lines.group_by("request_id").agg(
        pl.len().cast(pl.Int64).alias("sku_count"),
        pl.col("expected_discrepancy_value").sum(),
    )
    requests = (
        selected.join(totals, on="request_id", how="inner")
        .with_columns(pl.lit(requested_at).alias("requested_at"))
        .select(
            "request_id",
            "location_id",
            "requested_at",
            "risk_score",
            "risk_rank",
            "reason",
            "sku_count",
            "expected_discrepancy_value",
        )
        .sort("risk_rank")
    )
    return requests, lines
