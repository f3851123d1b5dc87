"""Location risk features (SPEC 6): pure polars functions of the input frames
(`ml.input_frames.RiskInputs`, one per concern; its time rules apply).

Every feature but feed lag (a p95 in minutes) is a rate per count, per unit of throughput
or per sku-location, so stores of different sizes compare fairly; every feature is "higher
= riskier", so the detectors only need to look at the upper side. The feature names and their
order are the tables' declaration (`omnistock.tables.LOCATION_FEATURES`); events count in the
trailing `window_days` ending at as_of.

Business rules are the marts' flags, never recomputed here (dbt owns them): a count is
accurate by fct_cycle_counts.is_accurate (with its variance_quantity), a transfer line is
short by fct_transfers.is_received_short, a position-day is negative by
fct_stock_positions.is_negative, and a return line is stalled by fct_returns.is_stalled (the
stage SLAs of the dbt var stalled_case_sla_hours, judged at the data horizon).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from omnistock.tables import LOCATION_CATEGORY_FEATURES, LOCATION_FEATURES

from .input_frames import RiskInputs, Window, to_naive_utc

LOCATION_KEYS = ("location_id",)
LOCATION_CATEGORY_KEYS = ("location_id", "category")

# Feature (every one of LOCATION_FEATURES) -> the words a reason uses for it.
FEATURE_LABELS: dict[str, str] = {
    "count_discrepancy_rate": "count discrepancies",
    "count_shortage_units_per_count": "units counted short",
    "shrink_units_per_throughput": "shrink",
    "damage_units_per_throughput": "damage",
    "inbound_short_receipt_rate": "short receipts",
    "outbound_short_receipt_rate": "short shipments",
    "reservation_failure_rate": "reservation failures",
    "oversell_rate": "oversells",
    "negative_stock_share": "negative stock",
    "phantom_share": "phantom inventory",
    "feed_lag_p95_min": "feed lag p95",
    "stalled_return_rate": "stalled returns",
}


@dataclass(frozen=True)
class FeatureConfig:
    window_days: int = 14
    # Sales history that defines "usually sells" (phantom signal); also how far back
    # ml.inputs loads data and ml.sku_discrepancies looks for a SKU's last count.
    history_days: int = 28
    phantom_min_selling_days: int = 3
    # Prior share of usual sellers whose shelf is empty while the book is not.
    phantom_prior: float = 0.005
    # The ERP's nightly stock snapshot is a scheduled export, hours "late" by design: it
    # would drown the location's own feed lag.
    lag_excluded_event_types: tuple[str, ...] = ("stock_snapshot",)


DEFAULT_FEATURE_CONFIG = FeatureConfig()


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    """Null when there is nothing to divide by: unknown, not zero risk."""
    return (
        pl.when(pl.col(denominator) > 0)
        .then(pl.col(numerator) / pl.col(denominator))
        .otherwise(None)
    )


def _keyed(frame: pl.DataFrame, skus: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """The frame with the SKU's category when the keys ask for it."""
    if "category" not in keys:
        return frame
    return frame.drop("category", strict=False).join(
        skus.select("sku", "category"), on="sku", how="left"
    )


def phantom_positions(
    stock_positions: pl.DataFrame, as_of: datetime, config: FeatureConfig = DEFAULT_FEATURE_CONFIG
) -> pl.DataFrame:
    """Per sku-location: book stock at as_of and how surprising its current sales silence is.

    An item "usually sells" when it sold on at least `phantom_min_selling_days` days of the
    history. Its selling-day share (days with sales / days observed, Laplace-smoothed) gives
    the chance of the current run of days without sales (the silent days count as observed:
    ending the count at the last sale would make every item look like a steady seller);
    `phantom_probability` is the posterior that the shelf is empty while the book is not
    (prior `phantom_prior`), for usual sellers with book stock > 0; `is_phantom` when ≥ 0.5.

    Columns: location_id, sku, book_quantity, is_negative (the mart's flag on the last day),
    last_sale_date, selling_days, silent_days, silence_probability, is_usual_seller,
    phantom_probability, is_phantom.
    """
    history = Window.ending(as_of, config.history_days)
    selling = pl.col("sales_quantity") > 0
    per_position = (
        stock_positions.filter(history.contains_day("position_date"))
        .group_by("location_id", "sku")
        .agg(
            pl.col("position_date").min().alias("first_date"),
            pl.col("position_date").max().alias("last_date"),
            pl.col("closing_quantity").sort_by("position_date").last().alias("book_quantity"),
            pl.col("is_negative").sort_by("position_date").last().alias("is_negative"),
            pl.col("position_date").filter(selling).max().alias("last_sale_date"),
            selling.sum().alias("selling_days"),
        )
    )
    observed_days = (pl.col("last_date") - pl.col("first_date")).dt.total_days() + 1
    share = (pl.col("selling_days") + 1) / (observed_days + 2)
    silence = (1 - share).pow(pl.col("silent_days"))
    prior = config.phantom_prior
    posterior = prior / (prior + (1 - prior) * pl.col("silence_probability"))
    suspect = pl.col("is_usual_seller") & (pl.col("book_quantity") > 0)
    return (
        per_position.with_columns(
            (pl.col("last_date") - pl.col("last_sale_date")).dt.total_days().alias("silent_days"),
            (pl.col("selling_days") >= config.phantom_min_selling_days).alias("is_usual_seller"),
        )
        .with_columns(silence.fill_null(1.0).alias("silence_probability"))
        .with_columns(pl.when(suspect).then(posterior).otherwise(0.0).alias("phantom_probability"))
        .with_columns((pl.col("phantom_probability") >= 0.5).alias("is_phantom"))
        .select(
            "location_id",
            "sku",
            "book_quantity",
            "is_negative",
            "last_sale_date",
            "selling_days",
            "silent_days",
            "silence_probability",
            "is_usual_seller",
            "phantom_probability",
            "is_phantom",
        )
        .sort("location_id", "sku")
    )


# --- the parts: numerators and denominators per key, ratios are taken at the end -----------


def _count_parts(inputs: RiskInputs, window: Window, keys: tuple[str, ...]) -> pl.DataFrame:
    """A count that is not accurate (the mart's is_accurate) is discrepant; the units that
    matter are the ones the book claims but the shelf lacks (shrink, phantom stock). Surpluses
    are mostly receipts booked late and, counted as units, drown the losses in noise."""
    return (
        _keyed(inputs.cycle_counts, inputs.skus, keys)
        .filter(window.contains("counted_at"))
        .group_by(keys)
        .agg(
            pl.len().alias("counts"),
            (~pl.col("is_accurate")).sum().alias("discrepant_counts"),
            (-pl.col("variance_quantity")).clip(lower_bound=0).sum().alias("count_shortage_units"),
        )
    )


def _adjustment_parts(inputs: RiskInputs, window: Window, keys: tuple[str, ...]) -> pl.DataFrame:
    loss = (-pl.col("quantity")).clip(lower_bound=0)
    return (
        _keyed(inputs.adjustments, inputs.skus, keys)
        .filter(window.contains("adjusted_at"))
        .group_by(keys)
        .agg(
            loss.filter(pl.col("reason_code") == "shrink").sum().alias("shrink_units"),
            loss.filter(pl.col("reason_code") == "damage").sum().alias("damage_units"),
        )
    )


def _position_parts(inputs: RiskInputs, window: Window, keys: tuple[str, ...]) -> pl.DataFrame:
    return (
        _keyed(inputs.stock_positions, inputs.skus, keys)
        .filter(window.contains_day("position_date"))
        .group_by(keys)
        .agg(
            pl.col("sku").n_unique().alias("sku_locations"),
            pl.col("sku").filter(pl.col("is_negative")).n_unique().alias("negative_sku_locations"),
            (pl.col("sales_quantity") + pl.col("transfer_out_quantity"))
            .sum()
            .alias("throughput_units"),
        )
    )


def _phantom_parts(
    inputs: RiskInputs, as_of: datetime, keys: tuple[str, ...], config: FeatureConfig
) -> pl.DataFrame:
    return (
        _keyed(phantom_positions(inputs.stock_positions, as_of, config), inputs.skus, keys)
        .group_by(keys)
        .agg(
            pl.col("is_usual_seller").sum().alias("usual_sellers"),
            # Summing the probabilities keeps the partial evidence a yes/no flag throws away.
            pl.col("phantom_probability").sum().alias("expected_phantom_positions"),
        )
    )


def _transfer_parts(inputs: RiskInputs, window: Window, keys: tuple[str, ...]) -> pl.DataFrame:
    """Short receipts (the mart's is_received_short) by the receiving and by the shipping
    location."""
    received = inputs.transfers.filter(window.contains("received_at"))
    short = pl.col("is_received_short").fill_null(False)
    sides = []
    for side, location_column in (
        ("inbound", "destination_location_id"),
        ("outbound", "origin_location_id"),
    ):
        lines = received.select(
            pl.col(location_column).alias("location_id"),
            "sku",
            "is_received_short",
        )
        sides.append(
            _keyed(lines, inputs.skus, keys)
            .group_by(keys)
            .agg(pl.len().alias(f"{side}_receipts"), short.sum().alias(f"{side}_short_receipts"))
        )
    return _join_all(sides, keys)


def _reservation_parts(inputs: RiskInputs, window: Window, keys: tuple[str, ...]) -> pl.DataFrame:
    reservations = (
        _keyed(inputs.reservations, inputs.skus, keys)
        .filter(window.contains("first_requested_at"))
        .group_by(keys)
        .agg(
            pl.col("requests").sum().alias("reservation_requests"),
            pl.col("confirmations").sum().alias("reservation_confirmations"),
            pl.col("failures").sum().alias("reservation_failures"),
        )
    )
    oversells = (
        _keyed(inputs.oversells, inputs.skus, keys)
        .filter(window.contains("oversold_at"))
        .group_by(keys)
        .agg(pl.len().alias("oversells"))
    )
    return _join_all([reservations, oversells], keys)


def _lag_parts(inputs: RiskInputs, window: Window, config: FeatureConfig) -> pl.DataFrame:
    lag_minutes = (pl.col("emitted_at") - pl.col("occurred_at")).dt.total_seconds() / 60
    excluded = pl.col("event_type").is_in(list(config.lag_excluded_event_types))
    return (
        inputs.event_lags.filter(window.contains("occurred_at") & ~excluded)
        .group_by("location_id")
        .agg(lag_minutes.quantile(0.95, interpolation="linear").alias("feed_lag_p95_min"))
    )


def _return_parts(inputs: RiskInputs, window: Window, keys: tuple[str, ...]) -> pl.DataFrame:
    """Return lines received in the window that are stalled (fct_returns.is_stalled: open past
    the SLA of their stage at the data horizon)."""
    return (
        _keyed(inputs.returns, inputs.skus, keys)
        .filter(window.contains("received_at"))
        .group_by(keys)
        .agg(
            pl.len().alias("returns_received"),
            pl.col("is_stalled").fill_null(False).sum().alias("stalled_returns"),
        )
    )


def _join_all(frames: list[pl.DataFrame], keys: tuple[str, ...]) -> pl.DataFrame:
    joined = frames[0]
    for frame in frames[1:]:
        joined = joined.join(frame, on=keys, how="full", coalesce=True)
    return joined


# Every feature but feed lag is numerator / denominator of the parts above. The
# denominator is the evidence a rate rests on: the detectors weigh a deviation by it, so
# one event at a quiet location is not an anomaly.
RATE_PARTS = {
    "count_discrepancy_rate": ("discrepant_counts", "counts"),
    "count_shortage_units_per_count": ("count_shortage_units", "counts"),
    "shrink_units_per_throughput": ("shrink_units", "throughput_units"),
    "damage_units_per_throughput": ("damage_units", "throughput_units"),
    "inbound_short_receipt_rate": ("inbound_short_receipts", "inbound_receipts"),
    "outbound_short_receipt_rate": ("outbound_short_receipts", "outbound_receipts"),
    "reservation_failure_rate": ("reservation_failures", "reservation_requests"),
    "oversell_rate": ("oversells", "reservation_confirmations"),
    "negative_stock_share": ("negative_sku_locations", "sku_locations"),
    "phantom_share": ("expected_phantom_positions", "usual_sellers"),
    "stalled_return_rate": ("stalled_returns", "returns_received"),
}
FEATURE_EVIDENCE = {feature: denominator for feature, (_, denominator) in RATE_PARTS.items()}
SUPPORT_COLUMNS = tuple(dict.fromkeys(FEATURE_EVIDENCE.values()))


def build_features(
    inputs: RiskInputs,
    as_of: datetime,
    keys: tuple[str, ...] = LOCATION_KEYS,
    config: FeatureConfig = DEFAULT_FEATURE_CONFIG,
) -> pl.DataFrame:
    """One row per key (location, or location × category) with the features of SPEC 6.

    Columns: the keys, location_type, region, as_of, window_days, the features (`LOCATION_FEATURES`;
    location × category has no feed lag), then `SUPPORT_COLUMNS`. A rate whose denominator
    is empty is null. Every location appears at location level, even without activity.
    """
    as_of = to_naive_utc(as_of)
    window = Window.ending(as_of, config.window_days)
    parts = _join_all(
        [
            _count_parts(inputs, window, keys),
            _adjustment_parts(inputs, window, keys),
            _position_parts(inputs, window, keys),
            _phantom_parts(inputs, as_of, keys, config),
            _transfer_parts(inputs, window, keys),
            _reservation_parts(inputs, window, keys),
            _return_parts(inputs, window, keys),
        ],
        keys,
    )
    if "category" not in keys:
        parts = _join_all([parts, _lag_parts(inputs, window, config)], keys)
    locations = inputs.locations.select("location_id", "location_type", "region")
    rows = (
        locations.join(parts, on="location_id", how="left")
        if keys == LOCATION_KEYS
        else parts.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys)).join(
            locations, on="location_id", how="left"
        )
    )
    feature_names = LOCATION_FEATURES if "category" not in keys else LOCATION_CATEGORY_FEATURES
    rows = rows.with_columns(
        pl.col(SUPPORT_COLUMNS).fill_null(0),
        *(_ratio(*parts).alias(name) for name, parts in RATE_PARTS.items()),
        pl.lit(as_of).alias("as_of"),
        pl.lit(config.window_days).alias("window_days"),
    )
    return rows.select(
        *keys, "location_type", "region", "as_of", "window_days", *feature_names, *SUPPORT_COLUMNS
    ).sort(keys)


def location_features(
    inputs: RiskInputs, as_of: datetime, config: FeatureConfig = DEFAULT_FEATURE_CONFIG
) -> pl.DataFrame:
    return build_features(inputs, as_of, LOCATION_KEYS, config)


def location_category_features(
    inputs: RiskInputs, as_of: datetime, config: FeatureConfig = DEFAULT_FEATURE_CONFIG
) -> pl.DataFrame:
    return build_features(inputs, as_of, LOCATION_CATEGORY_KEYS, config)
