"""Cycle-count requests (SPEC 6): which locations to count, which SKUs first, and why.

Pure functions; the Dagster sensor calls `select_locations` (threshold + cooldown, one
request id per location and day for its run_key), the job calls `estimate_sku_discrepancies`,
`build_requests` and `outbox_payloads`/`write_outbox`.

How likely is a SKU's record wrong? Record errors accumulate over time, so the probability
grows with the days since the SKU was last counted: p = 1 - exp(-hazard * days). The hazard
comes from what counts found at the location × category (pulled towards the location's and
then the network's rate where counts are few), converted with the mean age of the records
those counts saw, scaled by the ABC class's relative discrepancy rate and tilted by the
location × category risk score. Two signals override it: a negative book is certainly wrong
(true stock cannot be negative), and a usual seller that stopped selling while the book
shows stock is probably phantom (`ml.features.phantom_positions`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import polars as pl

from .features import (
    DEFAULT_FEATURE_CONFIG,
    FeatureConfig,
    RiskInputs,
    Window,
    phantom_positions,
    to_naive_utc,
)


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


def _shrunk_rate(numerator: str, denominator: str, prior: pl.Expr, strength: float) -> pl.Expr:
    return (pl.col(numerator) + strength * prior) / (pl.col(denominator) + strength)


def _count_history(inputs: RiskInputs, as_of: datetime, config: FeatureConfig) -> pl.DataFrame:
    """Counts of the history window with the age (days since the SKU's previous count, or
    since the history began) of the record each count checked."""
    history = Window.ending(as_of, config.history_days)
    return (
        inputs.cycle_counts.filter(history.contains("counted_at"))
        .join(inputs.skus.select("sku", "category", "abc_class"), on="sku", how="left")
        .sort("counted_at")
        .with_columns(
            pl.col("counted_at").shift(1).over("location_id", "sku").alias("previous_count_at"),
            (~pl.col("is_accurate")).alias("is_discrepant"),
            pl.col("variance_quantity").abs().alias("variance_units"),
        )
        .with_columns(
            (
                (
                    pl.col("counted_at") - pl.col("previous_count_at").fill_null(history.start)
                ).dt.total_seconds()
                / 86_400
            ).alias("record_age_days")
        )
    )


@dataclass(frozen=True)
class _DiscrepancyRates:
    by_location_category: pl.DataFrame  # location_id, category, category_rate
    by_location: pl.DataFrame  # location_id, location_rate, typical_discrepancy_units
    by_abc: pl.DataFrame  # abc_class, abc_factor
    overall: float
    mean_record_age_days: float  # of the records the counts checked


def _discrepancy_rates(
    counts: pl.DataFrame, config: FeatureConfig, policy: CycleCountPolicy
) -> _DiscrepancyRates:
    """Smoothed discrepancy rates per location × category and per location (with the
    typical units off when a record is wrong), and relative factors per ABC class."""
    strength = policy.prior_counts
    overall = float(counts["is_discrepant"].mean() or 0.0) if counts.height else 0.0
    discrepant = counts.filter(pl.col("is_discrepant"))
    overall_units = float(discrepant["variance_units"].mean()) if discrepant.height else 1.0
    mean_age = float(counts["record_age_days"].mean()) if counts.height else 0.0

    def tally(keys: list[str]) -> pl.DataFrame:
        return counts.group_by(keys).agg(
            pl.len().alias("counts"),
            pl.col("is_discrepant").sum().alias("discrepant"),
            pl.col("variance_units").filter(pl.col("is_discrepant")).sum().alias("units"),
        )

    by_location = tally(["location_id"]).with_columns(
        _shrunk_rate("discrepant", "counts", pl.lit(overall), strength).alias("location_rate"),
        _shrunk_rate("units", "discrepant", pl.lit(overall_units), strength).alias(
            "typical_discrepancy_units"
        ),
    )
    by_location_category = (
        tally(["location_id", "category"])
        .join(by_location.select("location_id", "location_rate"), on="location_id")
        .with_columns(
            _shrunk_rate("discrepant", "counts", pl.col("location_rate"), strength).alias(
                "category_rate"
            )
        )
    )
    by_abc = tally(["abc_class"]).with_columns(
        (
            _shrunk_rate("discrepant", "counts", pl.lit(overall), strength) / overall
            if overall > 0
            else pl.lit(1.0)
        ).alias("abc_factor")
    )
    return _DiscrepancyRates(
        by_location_category.select("location_id", "category", "category_rate"),
        by_location.select("location_id", "location_rate", "typical_discrepancy_units"),
        by_abc.select("abc_class", "abc_factor"),
        overall,
        # Without counts, assume records half the history old.
        mean_age if mean_age > 0 else config.history_days / 2,
    )


def estimate_sku_discrepancies(
    inputs: RiskInputs,
    as_of: datetime,
    location_category_risk: pl.DataFrame | None = None,
    config: FeatureConfig = DEFAULT_FEATURE_CONFIG,
    policy: CycleCountPolicy = DEFAULT_POLICY,
) -> pl.DataFrame:
    """Per sku-location with stock history: the chance its record is wrong and the expected
    discrepancy value at cost.

    Columns: location_id, sku, category, abc_class, unit_cost, book_quantity,
    days_since_last_count (null: not counted in the history), phantom_probability,
    inaccuracy_probability, expected_discrepancy_units, expected_discrepancy_value, reason.
    """
    as_of = to_naive_utc(as_of)
    counts = _count_history(inputs, as_of, config)
    rates = _discrepancy_rates(counts, config, policy)
    last_counts = counts.group_by("location_id", "sku").agg(
        pl.col("counted_at").max().alias("last_counted_at")
    )
    risk = (
        location_category_risk.select(
            "location_id", "category", pl.col("risk_score").alias("category_risk")
        )
        if location_category_risk is not None
        else pl.DataFrame(
            schema={"location_id": pl.String, "category": pl.String, "category_risk": pl.Float64}
        )
    )
    days_since_count = (pl.lit(as_of) - pl.col("last_counted_at")).dt.total_seconds() / 86_400
    record_age = days_since_count.fill_null(float(config.history_days))
    rate = pl.coalesce("category_rate", "location_rate", pl.lit(rates.overall)).clip(0.0, 0.99)
    # The risk score (0-1) tilts the hazard between half and one and a half times.
    tilt = 0.5 + pl.col("category_risk").fill_null(0.5)
    hazard = (
        -(1 - rate).log() / rates.mean_record_age_days * pl.col("abc_factor").fill_null(1.0) * tilt
    )
    drift = 1 - (-hazard * record_age).exp()
    phantom = pl.col("phantom_probability")
    negative = pl.col("is_negative").fill_null(False)
    typical_units = pl.col("typical_discrepancy_units").fill_null(1.0)
    return (
        phantom_positions(inputs.stock_positions, as_of, config)
        .join(inputs.skus.select("sku", "category", "abc_class", "unit_cost"), on="sku", how="left")
        .join(last_counts, on=["location_id", "sku"], how="left")
        .join(rates.by_location_category, on=["location_id", "category"], how="left")
        .join(rates.by_location, on="location_id", how="left")
        .join(rates.by_abc, on="abc_class", how="left")
        .join(risk, on=["location_id", "category"], how="left")
        .with_columns(days_since_count.alias("days_since_last_count"), drift.alias("drift"))
        .with_columns(
            pl.when(negative)
            .then(1.0)
            .otherwise(1 - (1 - phantom) * (1 - pl.col("drift")))
            .alias("inaccuracy_probability"),
            # A phantom shelf is off by the whole book; a drifting record by typical units.
            pl.when(negative)
            .then(-pl.col("book_quantity").cast(pl.Float64))
            .otherwise(
                phantom * pl.col("book_quantity").clip(lower_bound=0)
                + (1 - phantom) * pl.col("drift") * typical_units
            )
            .alias("expected_discrepancy_units"),
        )
        .with_columns(
            (pl.col("expected_discrepancy_units") * pl.col("unit_cost").fill_null(0.0)).alias(
                "expected_discrepancy_value"
            ),
            _sku_reason(rate, config).alias("reason"),
        )
        .select(
            "location_id",
            "sku",
            "category",
            "abc_class",
            "unit_cost",
            "book_quantity",
            "days_since_last_count",
            "phantom_probability",
            "inaccuracy_probability",
            "expected_discrepancy_units",
            "expected_discrepancy_value",
            "reason",
        )
        .sort("location_id", "sku")
    )


def _sku_reason(rate: pl.Expr, config: FeatureConfig) -> pl.Expr:
    """E.g. "book 5, no sales for 10 days (usually sells); never counted in 28 d; apparel
    counts here ~58% off"."""
    book = pl.col("book_quantity").cast(pl.String)
    days = pl.col("days_since_last_count").round(0).cast(pl.Int64)
    parts = [
        pl.when(pl.col("is_negative")).then(pl.format("negative book {}", book)),
        pl.when(pl.col("phantom_probability") >= 0.5).then(
            pl.format("book {}, no sales for {} days (usually sells)", book, pl.col("silent_days"))
        ),
        pl.when(days.is_null())
        .then(pl.lit(f"never counted in {config.history_days} d"))
        .otherwise(pl.format("last count {} d ago", days)),
        pl.format(
            "{} counts here ~{}% off", pl.col("category"), (rate * 100).round(0).cast(pl.Int64)
        ),
    ]
    return pl.concat_str(parts, separator="; ", ignore_nulls=True)


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


def _iso_utc(moment: datetime) -> str:
    return f"{to_naive_utc(moment):%Y-%m-%dT%H:%M:%S}Z"


def outbox_payloads(requests: pl.DataFrame, request_lines: pl.DataFrame) -> list[dict]:
    """One payload per request, as docs/architecture.md ("Cycle-count outbox") fixes it."""
    skus_by_request = {
        request: group.sort("priority")
        for (request,), group in request_lines.group_by("request_id")
    }
    return [
        {
            "request_id": request["request_id"],
            "location_id": request["location_id"],
            "requested_at": _iso_utc(request["requested_at"]),
            "reason": request["reason"],
            "skus": [
                {
                    "sku": line["sku"],
                    "expected_discrepancy_value": round(line["expected_discrepancy_value"], 2),
                }
                for line in skus_by_request[request["request_id"]].iter_rows(named=True)
            ],
        }
        for request in requests.iter_rows(named=True)
    ]


def write_outbox(payloads: list[dict], outbox_dir: str | Path) -> dict[str, Path]:
    """`<outbox_dir>/<request_id>.json`, written whole (tmp + rename) so a store system
    never reads half a request. The name is percent-encoded: a location_id comes from the
    retailer's reference data and may hold `/` or `..`, which must not leave the outbox.
    Returns the file written for each request_id."""
    folder = Path(outbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for payload in payloads:
        path = folder / f"{quote(payload['request_id'], safe='')}.json"
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(payload, indent=2) + "\n")
        os.replace(temporary, path)
        written[payload["request_id"]] = path
    return written
