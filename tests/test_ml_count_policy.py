"""ml.count_policy and ml.sku_discrepancies: location selection (threshold, cooldown) and SKU
priorities worked out by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import polars as pl
import pytest

from ml.count_policy import (
    CycleCountPolicy,
    build_requests,
    locations_in_cooldown,
    request_id,
    select_locations,
)
from ml.features import FeatureConfig
from ml.input_frames import RiskInputs
from ml.sku_discrepancies import estimate_sku_discrepancies

AS_OF = datetime(2026, 3, 29, 12, 0)  # history: (03-01 12:00, 03-29 12:00]

RISK = pl.DataFrame(
    {
        "location_id": ["L1", "L2", "L3", "L4"],
        "risk_score": [0.99, 0.95, 0.91, 0.5],
        "risk_rank": [1, 2, 3, 4],
        "reason": ["shrink 4.0x peer median", "r2", "r3", "r4"],
    }
)


def requested(*items: tuple[str, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "location_id": [loc for loc, _ in items],
            "requested_at": [AS_OF - timedelta(days=d) for _, d in items],
        }
    )


def test_request_id_is_per_location_and_day():
    assert request_id("S001", AS_OF) == "CC-S001-20260329"


def test_selection_honours_threshold_and_cooldown():
    recent = requested(("L2", 3), ("L3", 8))  # L2 inside the 7-day cooldown, L3 past it
    chosen = select_locations(RISK, AS_OF, recent, CycleCountPolicy(risk_threshold=0.9))
    assert chosen["location_id"].to_list() == ["L1", "L3"]
    assert chosen["request_id"].to_list() == ["CC-L1-20260329", "CC-L3-20260329"]
    assert chosen.columns == ["request_id", "location_id", "risk_score", "risk_rank", "reason"]

    assert select_locations(RISK, AS_OF, None, CycleCountPolicy(risk_threshold=0.96))[
        "location_id"
    ].to_list() == ["L1"]
    assert select_locations(
        RISK, AS_OF, None, CycleCountPolicy(risk_threshold=0.9, max_locations=2)
    )["location_id"].to_list() == ["L1", "L2"]
    assert select_locations(RISK, AS_OF, recent, CycleCountPolicy(cooldown_days=2))[
        "location_id"
    ].to_list() == ["L1", "L2", "L3"]


def test_cooldown_window_boundary():
    recent = requested(("L1", 7), ("L2", 6.9), ("L3", -1))  # L3: requested after as_of
    assert locations_in_cooldown(recent, AS_OF, 7) == {"L2", "L3"}
    assert locations_in_cooldown(None, AS_OF) == set()


# --- SKU estimates, by hand ---------------------------------------------------------------
SKUS = [
    {"sku": "A1", "category": "apparel", "abc_class": "A", "unit_cost": 10.0},
    {"sku": "A2", "category": "apparel", "abc_class": "B", "unit_cost": 5.0},
    {"sku": "F1", "category": "food", "abc_class": "C", "unit_cost": 2.0},
    {"sku": "F2", "category": "food", "abc_class": "C", "unit_cost": 1.0},
]


def daily(sku, book, sold_days=(), negative=False):
    """Positions 03-02 .. 03-29 at S1 (fct_stock_positions, its is_negative flag set by hand);
    one unit sold on the given day offsets."""
    first = date(2026, 3, 2)
    return [
        {
            "location_id": "S1",
            "sku": sku,
            "position_date": first + timedelta(days=d),
            "closing_quantity": book,
            "is_negative": negative,
            "sales_quantity": int(d in sold_days),
            "transfer_out_quantity": 0,
        }
        for d in range(28)
    ]


def sku_inputs() -> RiskInputs:
    counts = [  # fct_cycle_counts: A1 14 days ago, 2 short (3 of 5); F1 2 days ago, right
        {
            "location_id": "S1",
            "sku": "A1",
            "counted_at": AS_OF - timedelta(days=14),
            "is_accurate": False,
            "variance_quantity": -2,
        },
        {
            "location_id": "S1",
            "sku": "F1",
            "counted_at": AS_OF - timedelta(days=2),
            "is_accurate": True,
            "variance_quantity": 0,
        },
    ]
    positions = (
        daily("A1", 5, range(18))  # sold daily until 03-19, silent since: phantom
        + daily("A2", -2, negative=True)
        + daily("F1", 4)
        + daily("F2", 4)
    )
    return RiskInputs.from_frames(
        locations=[{"location_id": "S1", "location_type": "store", "region": "north"}],
        skus=SKUS,
        cycle_counts=counts,
        stock_positions=positions,
    )


def expected_estimates() -> dict[str, tuple[float, float]]:
    """(inaccuracy probability, expected discrepancy value) per SKU, by hand."""
    strength = 5  # CycleCountPolicy.prior_counts
    overall = 1 / 2  # one of the two counts was off
    mean_age = (14 + 26) / 2  # A1's record 14 days old at its count, F1's 26 (history start)
    location = (1 + strength * overall) / (2 + strength)  # 0.5
    apparel = (1 + strength * location) / (1 + strength)
    food = (0 + strength * location) / (1 + strength)
    abc = {
        "A": (1 + strength * overall) / (1 + strength) / overall,
        "C": (0 + strength * overall) / (1 + strength) / overall,
        "B": 1.0,
    }
    units = (2 + strength * 2) / (1 + strength)  # 2 units short on the one wrong count
    tilt = 1.0  # no category risk given: 0.5 + 0.5

    def drift(rate, abc_class, age):
        return 1 - math.exp(-(-math.log(1 - rate) / mean_age * abc[abc_class] * tilt) * age)

    prior = FeatureConfig().phantom_prior
    silence = (1 - 19 / 30) ** 10  # A1: 18 selling days of 28, 10 silent days
    phantom = prior / (prior + (1 - prior) * silence)
    a1_drift = drift(apparel, "A", 14)
    f1_drift, f2_drift = drift(food, "C", 2), drift(food, "C", 28)
    return {
        "A1": (
            1 - (1 - phantom) * (1 - a1_drift),
            10.0 * (phantom * 5 + (1 - phantom) * a1_drift * units),
        ),
        "A2": (1.0, 2 * 5.0),  # negative book: certainly wrong, at least 2 units
        "F1": (f1_drift, 2.0 * f1_drift * units),
        "F2": (f2_drift, 1.0 * f2_drift * units),
    }


def test_sku_estimates_by_hand():
    estimates = estimate_sku_discrepancies(sku_inputs(), AS_OF)
    got = {row["sku"]: row for row in estimates.iter_rows(named=True)}
    for sku, (probability, value) in expected_estimates().items():
        assert got[sku]["inaccuracy_probability"] == pytest.approx(probability), sku
        assert got[sku]["expected_discrepancy_value"] == pytest.approx(value), sku
    assert got["F1"]["days_since_last_count"] == pytest.approx(2)
    assert got["F2"]["days_since_last_count"] is None
    assert got["A2"]["reason"].startswith("negative book -2; never counted in 28 d")
    assert got["A1"]["reason"].startswith("book 5, no sales for 10 days (usually sells)")
    assert "last count 14 d ago" in got["A1"]["reason"]


def test_category_risk_tilts_the_probability():
    inputs = sku_inputs()
    calm = pl.DataFrame({"location_id": ["S1"], "category": ["food"], "risk_score": [0.0]})
    risky = calm.with_columns(pl.lit(1.0).alias("risk_score"))

    def f2(risk):
        return (
            estimate_sku_discrepancies(inputs, AS_OF, risk)
            .filter(pl.col("sku") == "F2")["inaccuracy_probability"]
            .item()
        )

    assert f2(calm) < f2(None) < f2(risky)


def test_requests_prioritize_by_expected_value():
    estimates = estimate_sku_discrepancies(sku_inputs(), AS_OF)
    selected = select_locations(
        pl.DataFrame(
            {
                "location_id": ["S1"],
                "risk_score": [0.97],
                "risk_rank": [1],
                "reason": ["count discrepancies 4.1x peer median"],
            }
        ),
        AS_OF,
    )
    policy = CycleCountPolicy(min_inaccuracy_probability=0.5, min_skus_per_location=1)
    requests, lines = build_requests(selected, estimates, AS_OF, policy)
    # F1 and F2 are less likely than 0.5 to be wrong; A1 (phantom, 10.0 a unit) leads A2.
    assert lines["sku"].to_list() == ["A1", "A2"]
    assert lines["priority"].to_list() == [1, 2]
    assert requests.row(0, named=True) | {"expected_discrepancy_value": None} == {
        "request_id": "CC-S1-20260329",
        "location_id": "S1",
        "requested_at": AS_OF,
        "risk_score": 0.97,
        "risk_rank": 1,
        "reason": "count discrepancies 4.1x peer median",
        "sku_count": 2,
        "expected_discrepancy_value": None,
    }
    assert requests["expected_discrepancy_value"].item() == pytest.approx(
        lines["expected_discrepancy_value"].sum()
    )

    # Every selected location keeps its most valuable SKUs, however unlikely.
    strict = CycleCountPolicy(min_inaccuracy_probability=1.1, min_skus_per_location=3)
    assert build_requests(selected, estimates, AS_OF, strict)[1]["sku"].to_list() == [
        "A1",
        "A2",
        "F2",
    ]
    capped = CycleCountPolicy(max_skus_per_location=1)
    assert build_requests(selected, estimates, AS_OF, capped)[1]["sku"].to_list() == ["A1"]
