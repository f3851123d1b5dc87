"""ml.evaluation on a hand-made truth: detection metrics and counting yield by hand."""

from __future__ import annotations

import json

import polars as pl
import pytest

from ml.evaluation import (
    GroundTruth,
    compare_counting_policies,
    counting_yield,
    detection_metrics,
    evaluate,
    load_ground_truth,
    missed_targets,
    select_abc_frequency,
    select_random,
    select_risk_ranked,
)

RISK = pl.DataFrame(
    {
        "location_id": ["L1", "L2", "L3", "L4", "L5"],
        "risk_score": [0.9, 0.8, 0.7, 0.6, 0.5],
        "risk_rank": [1, 2, 3, 4, 5],
    }
)

# Ten sku-locations at L1: A records (2) are all wrong, B (3) and C (5) all right.
SKUS = pl.DataFrame(
    {
        "sku": [f"A{i}" for i in range(2)]
        + [f"B{i}" for i in range(3)]
        + [f"C{i}" for i in range(5)],
        "abc_class": ["A"] * 2 + ["B"] * 3 + ["C"] * 5,
    }
)
TRUE_STOCK = SKUS.select(
    pl.lit("L1").alias("location_id"),
    "sku",
    pl.lit(5).alias("book_quantity"),
    pl.when(pl.col("abc_class") == "A").then(3).otherwise(5).alias("true_quantity"),
)


def test_detection_metrics_by_hand():
    metrics = detection_metrics(RISK, {"L1", "L3"})
    # k = 2 planted: the top 2 are L1 (planted) and L2 (not).
    assert metrics["k"] == 2 and metrics["hits_at_k"] == 1
    assert metrics["precision_at_k"] == 0.5 and metrics["recall_at_k"] == 0.5
    # Pairs (planted, other) ordered right: 0.9 beats 0.8, 0.6, 0.5; 0.7 beats 0.6, 0.5.
    assert metrics["roc_auc"] == pytest.approx(5 / 6)
    assert metrics["missed"] == ["L3"]
    assert detection_metrics(RISK, {"L1", "L3"}, k=3)["recall_at_k"] == 1.0
    assert detection_metrics(RISK, set())["roc_auc"] is None


def test_counting_yield_by_hand():
    counted = pl.DataFrame({"location_id": ["L1", "L1", "L9"], "sku": ["A0", "B0", "A0"]})
    # A0 is wrong, B0 right, L9/A0 holds no stock (not in the truth): 1 found in 3 counts.
    assert counting_yield(counted, TRUE_STOCK) == {
        "counts": 3,
        "inaccurate_found": 1,
        "yield": pytest.approx(1 / 3),
    }


def test_risk_ranked_takes_the_riskiest_locations_prioritized_skus_first():
    lines = pl.DataFrame(
        {
            "location_id": ["L2", "L1", "L1", "L2"],
            "sku": ["x", "b", "a", "y"],
            "risk_rank": [2, 1, 1, 2],
            "priority": [1, 2, 1, 2],
        }
    )
    assert select_risk_ranked(lines, 3).rows() == [("L1", "a"), ("L1", "b"), ("L2", "x")]


def test_abc_frequency_pro_rates_the_budget():
    # Weights: A 2 x 12 = 24, B 3 x 4 = 12, C 5 x 2 = 10 of 46. Budget 4: shares 2.09, 1.04,
    # 0.87 -> floors 2, 1, 0 and the remaining count to the largest remainder (C).
    chosen = select_abc_frequency(TRUE_STOCK, SKUS, 4, seed=1)
    classes = chosen.join(SKUS, on="sku")["abc_class"].value_counts().sort("abc_class")
    assert classes.rows() == [("A", 2), ("B", 1), ("C", 1)]
    assert chosen.equals(select_abc_frequency(TRUE_STOCK, SKUS, 4, seed=1))


def test_random_is_seeded_and_without_repeats():
    first = select_random(TRUE_STOCK, 4, seed=7)
    assert first.height == 4 and first.n_unique() == 4
    assert first.equals(select_random(TRUE_STOCK, 4, seed=7))
    assert select_random(TRUE_STOCK, 50, seed=7).height == 10


def test_policies_on_one_budget():
    # The risk list counts the two wrong A records and two right ones: yield 0.5. ABC with
    # the same budget of 4 counts both A records (quota 2 of 2) and two right ones: 0.5.
    lines = pl.DataFrame(
        {
            "location_id": ["L1"] * 4,
            "sku": ["A0", "A1", "B0", "C0"],
            "risk_rank": [1] * 4,
            "priority": [1, 2, 3, 4],
        }
    )
    table = compare_counting_policies(lines, TRUE_STOCK, SKUS, seed=3)
    rows = {row["policy"]: row for row in table.iter_rows(named=True)}
    assert rows["risk_ranked"]["yield"] == 0.5 and rows["abc_frequency"]["yield"] == 0.5
    assert rows["risk_ranked"]["yield_vs_abc"] == 1.0
    assert all(row["counts"] == 4 for row in rows.values())
    # A budget of 2: the risk list finds 2 of 2, ABC's 2 * 24/46 -> 1 A record of 2 counts.
    two = compare_counting_policies(lines, TRUE_STOCK, SKUS, budget=2, seed=3)
    assert two.filter(pl.col("policy") == "risk_ranked")["yield_vs_abc"].item() == 2.0


def test_load_ground_truth_and_evaluate(tmp_path):
    truth_dir = tmp_path / "_truth"
    truth_dir.mkdir()
    (truth_dir / "ground_truth.json").write_text(
        json.dumps(
            {
                "anomalous_locations": [
                    {"location_id": "L1", "faults": ["shrink"]},
                    {"location_id": "L3", "faults": ["late_feed", "shrink"]},
                ],
                "true_stock_path": "_truth/true_stock.parquet",
            }
        )
    )
    TRUE_STOCK.write_parquet(truth_dir / "true_stock.parquet")
    truth = load_ground_truth(tmp_path)
    assert truth.ends_at is None  # no "horizon" in this truth
    assert len(truth.fingerprint) == 64
    assert truth.anomalous_locations.rows() == [("L1", ["shrink"]), ("L3", ["late_feed", "shrink"])]
    assert truth.true_stock.equals(TRUE_STOCK)

    lines = pl.DataFrame(
        {"location_id": ["L1", "L1"], "sku": ["A0", "A1"], "risk_rank": [1, 1], "priority": [1, 2]}
    )
    report = evaluate(RISK, lines, truth, SKUS, seed=3)
    assert report["detection"]["recall_at_k"] == 0.5
    assert [row["policy"] for row in report["counting"]] == [
        "risk_ranked",
        "abc_frequency",
        "random",
    ]
    assert report["targets"]["met"] is False  # recall 0.5 < 0.8
    assert report["targets"]["missed"][0] == "recall@k 0.50 < 0.8"

    # Ranks that put both planted locations first; two wrong C records on the risk list.
    # ABC spends its 2 counts on one A and one B record (2 x 24/46 = 1.04 and the largest
    # remainder 0.52), both right here: yield 0, so any find is infinitely better.
    perfect = RISK.with_columns(pl.Series("risk_rank", [1, 3, 2, 4, 5]))
    only_c_wrong = TRUE_STOCK.with_columns(
        pl.when(pl.col("sku").is_in(["C0", "C1"])).then(0).otherwise(5).alias("true_quantity")
    )
    c_lines = lines.with_columns(pl.Series("sku", ["C0", "C1"]))
    report = evaluate(
        perfect, c_lines, GroundTruth(truth.anomalous_locations, only_c_wrong), SKUS, seed=3
    )
    assert report["counting"][1]["yield"] == 0.0
    assert report["counting"][0]["yield_vs_abc"] == float("inf")
    assert report["targets"]["met"] is True


def test_missed_targets_name_each_miss():
    assert missed_targets(0.8, 3.0) == []
    assert missed_targets(0.79, float("inf")) == ["recall@k 0.79 < 0.8"]
    # 0/0 (neither policy found anything) and no planted location are misses, not passes.
    assert missed_targets(None, float("nan")) == [
        "recall@k n/a < 0.8",
        "risk-ranked yield ÷ ABC n/a < 3.0",
    ]
    assert missed_targets(1.0, 2.85) == ["risk-ranked yield ÷ ABC 2.85 < 3.0"]
