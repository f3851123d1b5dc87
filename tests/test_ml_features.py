"""ml.features on hand-built inputs; every expected value is worked out in the comments.

The inputs carry the marts' rule flags as dbt computes them (is_accurate, variance_quantity,
is_received_short, is_negative, is_stalled), set by hand here: ml reads them, never recomputes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from ml.features import (
    FeatureConfig,
    location_category_features,
    location_features,
    phantom_positions,
)
from ml.input_frames import RiskInputs
from omnistock.tables import LOCATION_CATEGORY_FEATURES, LOCATION_FEATURES

AS_OF = datetime(2026, 3, 29, 12, 0)  # 14-day window: (03-15 12:00, 03-29 12:00]
LOCATIONS = [
    {"location_id": "S1", "location_type": "store", "region": "north"},
    {"location_id": "S2", "location_type": "store", "region": "north"},
    {"location_id": "D1", "location_type": "dc", "region": "north"},
]
SKUS = [
    {"sku": "A1", "category": "apparel", "abc_class": "A", "unit_cost": 10.0},
    {"sku": "A2", "category": "apparel", "abc_class": "B", "unit_cost": 5.0},
    {"sku": "F1", "category": "food", "abc_class": "C", "unit_cost": 2.0},
    {"sku": "F2", "category": "food", "abc_class": "C", "unit_cost": 1.0},
]


def days_before(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


def inputs(**frames) -> RiskInputs:
    return RiskInputs.from_frames(locations=LOCATIONS, skus=SKUS, **frames)


def row(frame: pl.DataFrame, **keys) -> dict:
    matches = frame.filter(*(pl.col(k) == v for k, v in keys.items()))
    assert matches.height == 1, matches
    return matches.row(0, named=True)


def count(sku, accurate, variance, days_ago, location="S1"):
    """fct_cycle_counts: is_accurate and variance_quantity (counted - system)."""
    return {
        "location_id": location,
        "sku": sku,
        "counted_at": days_before(days_ago),
        "is_accurate": accurate,
        "variance_quantity": variance,
    }


def position(sku, day, closing=5, sales=0, transfer_out=0, location="S1", negative=False):
    """fct_stock_positions, with its is_negative flag."""
    return {
        "location_id": location,
        "sku": sku,
        "position_date": day,
        "closing_quantity": closing,
        "is_negative": negative,
        "sales_quantity": sales,
        "transfer_out_quantity": transfer_out,
    }


def test_count_discrepancy_rate_and_units():
    # S1: 2 of 4 counts in the window are off -> rate 0.5. A2 is 3 short (book 6, shelf 3),
    # F1 one over: shortage 3 units / 4 counts. The count 20 days ago is outside the window.
    counts = [
        count("A1", True, 0, 1),
        count("A2", False, -3, 2),
        count("F1", False, 1, 3),
        count("A1", True, 0, 4),
        count("A2", False, -9, 20),
    ]
    features = location_features(inputs(cycle_counts=counts), AS_OF)
    s1 = row(features, location_id="S1")
    assert s1["count_discrepancy_rate"] == 0.5
    assert s1["count_shortage_units_per_count"] == 0.75
    assert s1["counts"] == 4
    # S2 has no counts: unknown, not zero.
    assert row(features, location_id="S2")["count_discrepancy_rate"] is None

    # By category: apparel 1 of 3 off (3 units short), food 1 of 1 off (over, not short).
    by_category = location_category_features(inputs(cycle_counts=counts), AS_OF)
    apparel = row(by_category, location_id="S1", category="apparel")
    assert apparel["count_discrepancy_rate"] == pytest.approx(1 / 3)
    assert apparel["count_shortage_units_per_count"] == 1.0
    food = row(by_category, location_id="S1", category="food")
    assert (food["count_discrepancy_rate"], food["count_shortage_units_per_count"]) == (1.0, 0.0)


def test_count_with_an_unknown_book_is_discrepant_without_units():
    # fct_cycle_counts: a null system_quantity makes is_accurate false and the variance null
    counts = [count("A1", False, None, 1, location="S2"), count("F1", True, 0, 2, location="S2")]
    s2 = row(location_features(inputs(cycle_counts=counts), AS_OF), location_id="S2")
    assert (s2["count_discrepancy_rate"], s2["count_shortage_units_per_count"]) == (0.5, 0.0)


def test_shrink_and_damage_per_unit_of_throughput():
    # Throughput in the window: sales 6 + 4, transfers out 10 -> 20 units.
    positions = [
        position("A1", date(2026, 3, 20), sales=6),
        position("A1", date(2026, 3, 21), sales=4, transfer_out=10),
        position("A1", date(2026, 3, 1), sales=100),
    ]  # before the window
    adjustments = [
        {
            "location_id": "S1",
            "sku": "A1",
            "adjusted_at": days_before(2),
            "reason_code": "shrink",
            "quantity": -3,
        },
        {
            "location_id": "S1",
            "sku": "F1",
            "adjusted_at": days_before(3),
            "reason_code": "damage",
            "quantity": -1,
        },
        {
            "location_id": "S1",
            "sku": "A1",
            "adjusted_at": days_before(3),
            "reason_code": "found",
            "quantity": 2,
        },
        {
            "location_id": "S1",
            "sku": "A1",
            "adjusted_at": days_before(30),
            "reason_code": "shrink",
            "quantity": -50,
        },
    ]
    s1 = row(
        location_features(inputs(adjustments=adjustments, stock_positions=positions), AS_OF),
        location_id="S1",
    )
    assert s1["throughput_units"] == 20
    assert s1["shrink_units_per_throughput"] == pytest.approx(3 / 20)
    assert s1["damage_units_per_throughput"] == pytest.approx(1 / 20)


def transfer(origin, destination, sku, short, days_ago):
    """fct_transfers: a received line with its is_received_short flag."""
    return {
        "origin_location_id": origin,
        "destination_location_id": destination,
        "sku": sku,
        "received_at": days_before(days_ago),
        "is_received_short": short,
    }


def test_short_receipt_counts_at_the_destination_and_against_the_origin():
    # D1 ships three lines; the one to S1 of A1 arrives short (8 of 10).
    transfers = [
        transfer("D1", "S1", "A1", True, 2),
        transfer("D1", "S1", "F1", False, 2),
        transfer("D1", "S2", "A1", False, 3),
        transfer("D1", "S2", "A1", True, 40),
    ]  # received before the window
    features = location_features(inputs(transfers=transfers), AS_OF)
    assert row(features, location_id="S1")["inbound_short_receipt_rate"] == 0.5
    assert row(features, location_id="S2")["inbound_short_receipt_rate"] == 0.0
    assert row(features, location_id="D1")["outbound_short_receipt_rate"] == pytest.approx(1 / 3)
    assert row(features, location_id="D1")["inbound_short_receipt_rate"] is None
    by_category = location_category_features(inputs(transfers=transfers), AS_OF)
    assert (
        row(by_category, location_id="S1", category="apparel")["inbound_short_receipt_rate"] == 1.0
    )
    assert row(by_category, location_id="S1", category="food")["inbound_short_receipt_rate"] == 0.0


def test_reservation_failures_and_oversells():
    reservations = [
        {
            "location_id": "S1",
            "sku": "A1",
            "first_requested_at": days_before(1),
            "requests": 2,
            "confirmations": 1,
            "failures": 1,
        },
        {
            "location_id": "S1",
            "sku": "F1",
            "first_requested_at": days_before(2),
            "requests": 2,
            "confirmations": 2,
            "failures": 0,
        },
    ]
    oversells = [
        {"location_id": "S1", "sku": "F1", "oversold_at": days_before(1)},
        {"location_id": "S1", "sku": "F1", "oversold_at": days_before(20)},
    ]
    s1 = row(
        location_features(inputs(reservations=reservations, oversells=oversells), AS_OF),
        location_id="S1",
    )
    assert s1["reservation_failure_rate"] == 0.25  # 1 failure / 4 requests
    assert s1["oversell_rate"] == pytest.approx(1 / 3)  # 1 oversell / 3 confirmations


def test_negative_stock_share_of_sku_locations():
    # Four sku-locations in the window; A1 dipped below zero on one day -> 1 / 4.
    positions = [
        position("A1", date(2026, 3, 20), closing=-1, negative=True),
        position("A1", date(2026, 3, 21), closing=2),
        position("A2", date(2026, 3, 20)),
        position("F1", date(2026, 3, 20)),
        position("F2", date(2026, 3, 20)),
        position("F2", date(2026, 3, 1), closing=-5, negative=True),
    ]  # before the window
    s1 = row(location_features(inputs(stock_positions=positions), AS_OF), location_id="S1")
    assert s1["sku_locations"] == 4
    assert s1["negative_stock_share"] == 0.25


def history(sku, sold_on_days, last_day=date(2026, 3, 29), book=5, location="S1"):
    """Daily positions over the 28-day history 03-02 .. 03-29; sales of 1 on the given
    day offsets from 03-02."""
    first = date(2026, 3, 2)
    return [
        position(
            sku,
            first + timedelta(days=d),
            closing=book,
            sales=1 if d in sold_on_days else 0,
            location=location,
        )
        for d in range((last_day - first).days + 1)
    ]


def test_phantom_signal_on_a_sales_history():
    config = FeatureConfig()
    # A1 sold on each of the first 18 days (03-02 .. 03-19), then nothing for 10 days while
    # the book shows 5: selling-day share (18 + 1) / (28 + 2), silence (1 - share)^10.
    positions = (
        history("A1", range(18))
        + history("A2", [3, 9])  # sold twice: not usual
        + history("F1", range(28), book=0)  # usual seller, nothing on the book
        + history("F2", range(28))
    )  # sold yesterday: no silence
    silence = (1 - 19 / 30) ** 10
    prior = config.phantom_prior
    posterior = prior / (prior + (1 - prior) * silence)

    phantoms = phantom_positions(pl.DataFrame(positions), AS_OF, config)
    a1 = row(phantoms, sku="A1")
    assert (a1["selling_days"], a1["silent_days"], a1["book_quantity"]) == (18, 10, 5)
    assert a1["silence_probability"] == pytest.approx(silence)
    assert a1["phantom_probability"] == pytest.approx(posterior)
    assert a1["is_phantom"]
    assert not row(phantoms, sku="A2")["is_usual_seller"]
    assert row(phantoms, sku="A2")["phantom_probability"] == 0.0
    assert row(phantoms, sku="F1")["phantom_probability"] == 0.0  # book 0: nothing to miss
    f2 = row(phantoms, sku="F2")
    assert f2["silent_days"] == 0 and f2["phantom_probability"] == pytest.approx(prior)

    # The location's share: expected phantom positions over its 3 usual sellers.
    s1 = row(location_features(inputs(stock_positions=positions), AS_OF), location_id="S1")
    assert s1["usual_sellers"] == 3
    assert s1["phantom_share"] == pytest.approx((posterior + prior) / 3)


def test_feed_lag_p95_ignores_the_nightly_snapshot():
    events = [
        {
            "location_id": "S1",
            "event_type": "sale",
            "occurred_at": days_before(1),
            "emitted_at": days_before(1) + timedelta(minutes=m),
        }
        for m in range(1, 11)
    ]
    events += [
        {
            "location_id": "S1",
            "event_type": "stock_snapshot",
            "occurred_at": days_before(1),
            "emitted_at": days_before(1) + timedelta(minutes=500),
        },
        {
            "location_id": "S1",
            "event_type": "sale",
            "occurred_at": days_before(30),
            "emitted_at": days_before(30) + timedelta(minutes=1000),
        },
    ]
    s1 = row(location_features(inputs(event_lags=events), AS_OF), location_id="S1")
    # Linear interpolation over 1..10 minutes: 1 + 0.95 * 9.
    assert s1["feed_lag_p95_min"] == pytest.approx(9.55)


def test_stalled_returns_are_the_marts_flag():
    def line(received, stalled, location="D1"):
        """fct_returns: is_stalled as dbt judged it at the horizon (stage SLAs)."""
        return {
            "location_id": location,
            "sku": "A1",
            "received_at": days_before(received),
            "is_stalled": stalled,
        }

    returns = [
        line(5, True),
        line(5, False),
        line(1, False),
        line(4, True),
        line(20, True),  # received before the window: not counted
        line(2, None, location="S1"),  # no flag: not stalled
    ]
    features = location_features(inputs(returns=returns), AS_OF)
    d1 = row(features, location_id="D1")
    assert d1["returns_received"] == 4
    assert d1["stalled_return_rate"] == 0.5  # 2 of the 4 received in the window
    assert row(features, location_id="S1")["stalled_return_rate"] == 0.0


def test_frame_shape_every_location_and_aware_as_of():
    features = location_features(inputs(), datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    assert features["location_id"].to_list() == ["D1", "S1", "S2"]
    assert set(LOCATION_FEATURES) <= set(features.columns)
    assert features["as_of"].to_list() == [AS_OF] * 3
    assert features.select(pl.col(LOCATION_FEATURES).is_null().all()).row(0) == (True,) * 12

    counts = [count("A1", False, 1, 1, location="S2")]
    by_category = location_category_features(inputs(cycle_counts=counts), AS_OF)
    assert by_category.select("location_id", "category", "location_type").rows() == [
        ("S2", "apparel", "store")
    ]
    assert "feed_lag_p95_min" not in by_category.columns
    assert set(LOCATION_CATEGORY_FEATURES) <= set(by_category.columns)


def test_from_frames_rejects_unknown_frames():
    with pytest.raises(TypeError, match="unknown input frames"):
        RiskInputs.from_frames(sales=[])
