"""ml.detectors on synthetic populations whose anomalies are known by construction."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ml.detectors import fit_and_score, fit_risk_model, percentile_rank, score_risk
from ml.features import FEATURE_EVIDENCE
from omnistock.tables import LOCATION_FEATURES

# Typical values of a healthy store, and the evidence (denominator) behind each rate.
NORMAL = {
    "count_discrepancy_rate": 0.05,
    "count_shortage_units_per_count": 0.04,
    "shrink_units_per_throughput": 0.002,
    "damage_units_per_throughput": 0.004,
    "inbound_short_receipt_rate": 0.005,
    "outbound_short_receipt_rate": 0.003,
    "reservation_failure_rate": 0.05,
    "oversell_rate": 0.08,
    "negative_stock_share": 0.004,
    "phantom_share": 0.01,
    "feed_lag_p95_min": 30.0,
    "stalled_return_rate": 0.01,
}
EVIDENCE = {
    "counts": 40,
    "throughput_units": 2000,
    "inbound_receipts": 400,
    "outbound_receipts": 400,
    "reservation_requests": 200,
    "reservation_confirmations": 200,
    "sku_locations": 300,
    "usual_sellers": 100,
    "returns_received": 100,
}


def population(stores: int = 40, seed: int = 3, regions=("north",), **overrides) -> pl.DataFrame:
    """Healthy stores with 10 % noise on every feature; `overrides` maps a location_id to
    the features it gets instead (added if the id is new)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(stores):
        row = {
            "location_id": f"S{i:03d}",
            "location_type": "store",
            "region": regions[i % len(regions)],
        }
        row |= {f: v * rng.normal(1.0, 0.1) for f, v in NORMAL.items()} | EVIDENCE
        rows.append(row)
    by_id = {row["location_id"]: row for row in rows}
    for location_id, changes in overrides.items():
        if location_id not in by_id:  # a new location starts as a copy of a healthy one
            by_id[location_id] = dict(rows[0], location_id=location_id)
            rows.append(by_id[location_id])
        by_id[location_id].update(changes)
    return pl.DataFrame(rows).with_columns(
        pl.lit(datetime(2026, 3, 29)).alias("as_of"), pl.lit(14).alias("window_days")
    )


def test_planted_outlier_ranks_first_with_the_right_reason():
    features = population(S040={"count_discrepancy_rate": 4 * NORMAL["count_discrepancy_rate"]})
    _, risk = fit_and_score(features)
    top = risk.row(0, named=True)
    assert top["location_id"] == "S040"
    assert top["risk_rank"] == 1 and top["risk_score"] == 1.0
    assert top["top_features"][0] == "count_discrepancy_rate"
    assert top["reason"].startswith("count discrepancies 4.")
    assert "x peer median" in top["reason"]
    assert risk["risk_score"].is_between(0, 1).all()
    assert sorted(risk["risk_rank"].to_list()) == list(range(1, 42))
    # The healthy stores have nothing to report.
    quiet = risk.filter(pl.col("location_id") != "S040")
    assert (quiet["reason"] == "no feature stands out from its peers").mean() > 0.9


def test_deterministic_for_the_same_input():
    features = population(S040={"shrink_units_per_throughput": 0.02})
    first = fit_and_score(features)[1]
    second = fit_and_score(features)[1]
    assert_frame_equal(first, second)


def test_rates_are_weighed_by_their_evidence():
    # Two stores with the same doubled failure rate: the one with 20x the reservations is
    # the real outlier; one failure more at a quiet store is noise.
    rate = 2 * NORMAL["reservation_failure_rate"]
    features = population(
        S040={"reservation_failure_rate": rate, "reservation_requests": 4000},
        S041={"reservation_failure_rate": rate, "reservation_requests": 20},
    )
    risk = fit_and_score(features)[1]
    rank = dict(zip(risk["location_id"], risk["risk_rank"], strict=True))
    assert rank["S040"] == 1
    assert rank["S041"] > 10


def test_peers_are_the_same_type_in_the_same_region():
    # Every store of the east region receives short (their DC short-ships): normal there.
    # One north store receiving short is the anomaly.
    short = {"inbound_short_receipt_rate": 0.4}
    east = {f"S{i:03d}": short for i in range(1, 60, 2)}
    features = population(stores=60, regions=("north", "east"), **east, S000=short)
    risk = fit_and_score(features)[1]
    assert risk.row(0, named=True)["location_id"] == "S000"
    east_risk = risk.filter(pl.col("region") == "east")
    assert not east_risk["reason"].str.contains("short receipts").any()


def test_a_dc_is_compared_with_dcs():
    dcs = {
        f"DC{i}": {
            "location_type": "dc",
            "region": "north",
            "feed_lag_p95_min": 3.0,
            "outbound_short_receipt_rate": 0.003 * (1 + i / 10),
        }
        for i in range(4)
    }
    dcs["DC3"]["outbound_short_receipt_rate"] = 0.4
    features = population(**dcs)
    risk = fit_and_score(features)[1]
    top = risk.row(0, named=True)
    assert top["location_id"] == "DC3"
    assert top["top_features"] == ["outbound_short_receipt_rate"]
    # A DC's 3-minute feed lag is its normal, not a tenth of the stores'.
    assert not risk.filter(pl.col("location_type") == "dc")["reason"].str.contains("lag").any()


def test_new_rows_are_scored_against_the_training_population():
    features = population()
    model = fit_risk_model(features)
    extreme = features.head(1).with_columns(
        pl.lit("S999").alias("location_id"), pl.lit(1.0).alias("count_discrepancy_rate")
    )
    scored = score_risk(model, pl.concat([features, extreme]))
    assert scored.row(0, named=True)["location_id"] == "S999"
    assert scored.row(0, named=True)["risk_score"] == 1.0
    assert model.training == {"rows": 40, "as_of": "2026-03-29T00:00:00", "window_days": 14}


def test_without_evidence_columns_and_with_missing_values():
    features = population(S040={"feed_lag_p95_min": 300.0}).drop(*set(FEATURE_EVIDENCE.values()))
    features = features.with_columns(
        pl.when(pl.col("location_id") == "S001")
        .then(None)
        .otherwise(pl.col("oversell_rate"))
        .alias("oversell_rate")
    )
    risk = fit_and_score(features)[1]
    assert risk.row(0, named=True)["location_id"] == "S040"
    assert risk.row(0, named=True)["reason"].startswith("feed lag p95 ")
    assert set(LOCATION_FEATURES) <= set(risk.columns)


def test_too_few_rows():
    with pytest.raises(ValueError, match="at least two rows"):
        fit_risk_model(population().head(1))


def test_risk_score_is_the_mid_rank_empirical_cdf():
    # Five locations, three tied: statistics 1, 2, 2, 2, 5 (n = 5).
    reference = np.array([1.0, 2.0, 2.0, 2.0, 5.0])
    scores = percentile_rank(reference, reference)
    # 1: none lower, alone -> (0 + (1 + 1) / 2) / 5 = 0.2
    # 2: one lower, three equal -> (1 + (3 + 1) / 2) / 5 = 0.6 for each of the three
    # 5: four lower, alone -> (4 + 1) / 5 = 1.0
    assert scores.tolist() == pytest.approx([0.2, 0.6, 0.6, 0.6, 1.0])
    # New rows sit among the training rows as if they were one of them, at most 1.
    assert percentile_rank(reference, np.array([0.0, 3.0, 9.0])).tolist() == pytest.approx(
        [0.1, 0.9, 1.0]
    )


def test_scored_locations_share_a_score_only_when_tied():
    # Three healthy stores with identical features (nothing to report: tied), one store off
    # on one feature and one off on two. Tied: (0 + (3 + 1) / 2) / 5 = 0.4 each; then
    # (3 + 1) / 5 = 0.8 and (4 + 1) / 5 = 1.0.
    healthy = population(stores=3).with_columns(pl.lit(v).alias(f) for f, v in NORMAL.items())
    one_off = healthy.head(1).with_columns(
        pl.lit("S010").alias("location_id"), pl.lit(0.5).alias("count_discrepancy_rate")
    )
    two_off = healthy.head(1).with_columns(
        pl.lit("S011").alias("location_id"),
        pl.lit(0.05).alias("shrink_units_per_throughput"),
        pl.lit(0.1).alias("damage_units_per_throughput"),
    )
    risk = fit_and_score(pl.concat([healthy, one_off, two_off]))[1]
    scores = dict(zip(risk["location_id"], risk["risk_score"], strict=True))
    assert scores == {"S011": 1.0, "S010": 0.8, "S000": 0.4, "S001": 0.4, "S002": 0.4}
    assert risk.filter(pl.col("risk_score") == 0.4)["combined_score"].n_unique() == 1
    assert risk["location_id"].to_list() == ["S011", "S010", "S000", "S001", "S002"]
    assert risk["risk_rank"].to_list() == [1, 2, 3, 4, 5]
