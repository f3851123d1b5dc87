"""How likely is each SKU's stock record wrong, and what is a count of it worth?

Record errors accumulate over time, so the probability grows with the days since the SKU was
last counted: p = 1 - exp(-hazard * days). The hazard comes from what counts found at the
location × category (pulled towards the location's and then the network's rate where counts
are few), converted with the mean age of the records those counts saw, scaled by the ABC
class's relative discrepancy rate and tilted by the location × category risk score. Two
signals override it: a negative book is certainly wrong (true stock cannot be negative), and a
usual seller that stopped selling while the book shows stock is probably phantom
(`ml.features.phantom_positions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from .count_policy import DEFAULT_POLICY, CycleCountPolicy
from .features import DEFAULT_FEATURE_CONFIG, FeatureConfig, phantom_positions
from .input_frames import RiskInputs, Window, to_naive_utc


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
