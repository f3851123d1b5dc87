"""The evaluation protocol: a model version is evaluated on the state it scored, the result is
kept with the version, and the asset check warns when a target is missed. Hand-made
warehouse and truth: five locations, L1 and L3 planted; ten SKUs at L1, C0 and C1 wrong."""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg
import duckdb
import polars as pl
import pytest

from ml import evaluation, model_evaluations
from omnistock.config import Settings
from orchestration.defs.intelligence.assets import (
    TARGETS_CHECK,
    evaluation_targets_met,
    risk_model_evaluation,
)
from orchestration.resources import resources_for

AS_OF = datetime(2026, 3, 8, 18, 0)
LOCATIONS = ["L1", "L2", "L3", "L4", "L5"]
SKUS = pl.DataFrame(
    {
        "sku": [f"A{i}" for i in range(2)]
        + [f"B{i}" for i in range(3)]
        + [f"C{i}" for i in range(5)],
        "category": ["food"] * 10,
        "abc_class": ["A"] * 2 + ["B"] * 3 + ["C"] * 5,
        "unit_cost": [1.0] * 10,
    }
)
TRUE_STOCK = SKUS.select(
    pl.lit("L1").alias("location_id"),
    "sku",
    pl.lit(5).alias("book_quantity"),
    pl.when(pl.col("sku").is_in(["C0", "C1"])).then(0).otherwise(5).alias("true_quantity"),
)


def scores(order: list[str]) -> pl.DataFrame:
    """location_risk rows ranked in `order` (riskiest first), scores n/n … 1/n."""
    n = len(order)
    return pl.DataFrame(
        {
            "location_id": order,
            "as_of": [AS_OF] * n,
            "risk_score": [(n - i) / n for i in range(n)],
            "risk_rank": list(range(1, n + 1)),
        }
    )


def plan(location: str, skus: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "location_id": [location] * len(skus),
            "sku": skus,
            "risk_rank": [1] * len(skus),
            "priority": list(range(1, len(skus) + 1)),
        }
    )


# The planted locations first; its plan counts the two wrong C records. ABC spends the same
# budget of 2 on an A and a B record (2 x 24/46 = 1.04, then the largest remainder), both
# right: risk finds 2 of 2, ABC 0 of 2 -> ratio inf, recall@2 = 1: every target met.
GOOD = scores(["L1", "L3", "L2", "L4", "L5"]), plan("L1", ["C0", "C1"])
# Neither planted location in the top 2 (recall 0); the plan finds nothing, nor does ABC
# (0/0: the ratio cannot be computed): both targets missed.
BAD = scores(["L2", "L4", "L1", "L3", "L5"]), plan("L2", ["A0", "B0"])


@pytest.fixture
def settings(tmp_path) -> Settings:
    home = tmp_path / "home"
    truth_dir = home / "landing" / "_truth"
    truth_dir.mkdir(parents=True)
    (truth_dir / "ground_truth.json").write_text(
        json.dumps(
            {
                "horizon": {"start": "2026-03-02T00:00:00Z", "end": "2026-03-09T00:00:00Z"},
                "anomalous_locations": [
                    {"location_id": "L1", "faults": ["shrink"]},
                    {"location_id": "L3", "faults": ["phantom_inventory"]},
                ],
                "true_stock_path": "_truth/true_stock.parquet",
            }
        )
    )
    TRUE_STOCK.write_parquet(truth_dir / "true_stock.parquet")
    settings = Settings(home=home, landing_dir=home / "landing", warehouse=home / "w.duckdb")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.register("skus", SKUS.to_arrow())
        con.execute("create table marts.dim_skus as select * from skus")
    return settings


def record(settings: Settings, version: str, scored: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """What location_risk does at scoring: the table with its version, the frozen state."""
    risk, lines = scored
    with duckdb.connect(str(settings.warehouse)) as con:
        model_evaluations.record_scored_version(con, version, risk, lines, 0.9)
        con.register("risk", risk.with_columns(model_version=pl.lit(version)).to_arrow())
        con.execute("create or replace table intelligence.location_risk as select * from risk")


def test_scored_state_round_trips_and_is_written_once(settings):
    record(settings, "v1", GOOD)
    with duckdb.connect(str(settings.warehouse)) as con:
        scored = model_evaluations.load_scored_version(con, "v1")
        assert model_evaluations.record_scored_version(con, "v1", *BAD, 0.5) == 0
        assert model_evaluations.current_model_version(con) == "v1"
        with pytest.raises(LookupError, match="v9"):
            model_evaluations.load_scored_version(con, "v9")
    assert scored.as_of == AS_OF and scored.risk_threshold == 0.9
    assert scored.scores.equals(GOOD[0].select("location_id", "risk_score", "risk_rank"))
    assert scored.count_plan.equals(GOOD[1])


def test_a_versions_evaluation_is_kept_whatever_lands_later(settings):
    record(settings, "v1", GOOD)
    with duckdb.connect(str(settings.warehouse)) as con:
        first = model_evaluations.evaluate_version(con, "v1", settings.landing_dir)
    assert not first.reused
    assert first.report["detection"]["recall_at_k"] == 1.0
    assert first.report["counting"][0]["yield"] == 1.0
    assert first.report["targets"] == {
        "recall_at_k": 0.8,
        "yield_vs_abc": 3.0,
        "met": True,
        "missed": [],
    }
    # The counts land: the wrong records are corrected (book = true) in the truth as well.
    TRUE_STOCK.with_columns(pl.col("true_quantity").alias("book_quantity")).write_parquet(
        settings.landing_dir / "_truth" / "true_stock.parquet"
    )
    with duckdb.connect(str(settings.warehouse)) as con:
        again = model_evaluations.evaluate_version(con, "v1", settings.landing_dir)
        [(rows, met, budget)] = con.execute(
            "select count(*), bool_and(targets_met), max(count_budget) "
            "from intelligence.risk_model_evaluations"
        ).fetchall()
    assert again.reused and again.evaluated_at == first.evaluated_at
    assert again.report == first.report
    assert (rows, met, budget) == (1, True, 2)
    # Evaluated afresh on the corrected truth, the same state would find nothing.
    rescored = model_evaluations.evaluate_scored_version(
        model_evaluations.ScoredVersion("v1", AS_OF, 0.9, GOOD[0], GOOD[1]),
        evaluation.load_ground_truth(settings.landing_dir),
        SKUS,
    )
    assert rescored["counting"][0]["yield"] == 0.0
    assert rescored["truth_fingerprint"] != first.report["truth_fingerprint"]


def test_a_version_scored_after_the_truth_ends_is_not_evaluated(settings):
    late = GOOD[0].with_columns(pl.lit(datetime(2026, 3, 10)).alias("as_of"))
    record(settings, "v-late", (late, GOOD[1]))
    with (
        duckdb.connect(str(settings.warehouse)) as con,
        pytest.raises(ValueError, match="after the ground truth's end"),
    ):
        model_evaluations.evaluate_version(con, "v-late", settings.landing_dir)


def _materialize(settings: Settings):
    """The asset and its check, as the pipeline job runs them."""
    result = dg.materialize(
        [risk_model_evaluation, evaluation_targets_met], resources=resources_for(settings)
    )
    [check] = result.get_asset_check_evaluations()
    [event] = result.get_asset_materialization_events()
    return check, event.materialization.metadata


def test_the_asset_check_warns_when_a_target_is_missed(settings):
    record(settings, "v-bad", BAD)
    check, metadata = _materialize(settings)
    assert check.check_name == TARGETS_CHECK
    assert check.passed is False and check.severity == dg.AssetCheckSeverity.WARN
    missed = "recall@k 0.00 < 0.8; risk-ranked yield ÷ ABC n/a < 3.0"
    assert check.metadata["missed"].value == missed
    assert metadata["model_version"].value == "v-bad"
    assert metadata["targets_met"].value is False
    assert metadata["missed_targets"].value == missed

    record(settings, "v-good", GOOD)
    check, metadata = _materialize(settings)
    assert check.passed is True and check.metadata["missed"].value == "none"
    assert metadata["model_version"].value == "v-good"
    assert metadata["recall_at_k"].value == 1.0 and metadata["count_budget"].value == 2
    assert metadata["kept_evaluation"].value is False
    # Materialized again: the version's kept evaluation, not a new one.
    check, metadata = _materialize(settings)
    assert metadata["kept_evaluation"].value is True and check.passed is True


def test_without_ground_truth_nothing_is_evaluated(settings):
    record(settings, "v1", GOOD)
    (settings.landing_dir / "_truth" / "ground_truth.json").unlink()
    check, metadata = _materialize(settings)
    assert metadata["status"].value == "no ground truth in the landing folder"
    assert check.passed is True and check.metadata["missed"].value == "not evaluated"
