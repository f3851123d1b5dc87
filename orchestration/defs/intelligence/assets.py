"""Location risk: features (polars) → IsolationForest + kNN scores (scikit-learn) → evaluation.

The logic lives in `ml/` (`ml.scoring`, `ml.model_evaluations`): each asset makes one call,
which reads the dbt marts and writes the warehouse schema `intelligence`, and reports it with
metadata an operations leader can read.
"""

import json

import dagster as dg
import polars as pl
from dagster_dbt import get_asset_key_for_model
from dagster_duckdb import DuckDBResource

from ml import evaluation, model_evaluations
from ml.features import FeatureConfig
from orchestration.defs.transform import omnistock_dbt_assets
from orchestration.metadata import markdown_table
from orchestration.policy import CycleCountPolicyResource
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

GROUP = "intelligence"
OWNERS = ["team:inventory-analytics"]
MARTS_READ = (
    "dim_locations", "dim_skus", "fct_cycle_counts", "fct_inventory_adjustments",
    "fct_transfers", "fct_reservations", "fct_order_lines", "fct_stock_positions", "fct_returns",
    "int_data_horizon",  # as_of: ml.inputs.data_as_of
)  # fmt: skip
TOP_N = 10


class RiskConfig(dg.Config):
    window_days: int = 14
    """Trailing window of the features, in days before the data horizon."""


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"polars", "duckdb"},
    pool=WAREHOUSE_POOL,
    deps=[get_asset_key_for_model([omnistock_dbt_assets], model) for model in MARTS_READ],
    description="Risk features per location and per location × category over a trailing "
    "window: count discrepancies, shrink, short receipts, reservation failures, oversells, "
    "negative stock, phantom inventory, feed lag, stalled returns — normalized per unit of "
    "activity so stores of every size compare fairly.",
)
def location_features(config: RiskConfig, duckdb: DuckDBResource):
    from ml import scoring  # scikit-learn: loaded by the steps that score, not with the code

    with duckdb.get_connection() as con:
        outcome = scoring.write_features(con, FeatureConfig(window_days=config.window_days))
    return dg.MaterializeResult(
        metadata={
            "as_of": str(outcome.as_of),
            "window_days": outcome.window_days,
            "locations": outcome.locations,
            "location_categories": outcome.location_categories,
            "dagster/row_count": outcome.locations,
        }
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"scikitlearn", "polars", "duckdb"},
    pool=WAREHOUSE_POOL,
    deps=[location_features],
    description="Every location's risk that its stock records are wrong (IsolationForest with "
    "a kNN-distance second opinion): its percentile rank among the locations (0.9 = riskier "
    "than about 90 %), its rank and the features that drove it. High risk turns into "
    "cycle-count requests. Each model version's scored state is kept for its evaluation.",
)
def location_risk(duckdb: DuckDBResource, paths: OmnistockPaths, policy: CycleCountPolicyResource):
    from ml import scoring

    deployed = policy.policy()
    with duckdb.get_connection() as con:
        outcome = scoring.score_locations(con, paths.settings.models_dir, deployed)
    record, ranked, plan = outcome.record, outcome.risk, outcome.count_plan
    return dg.MaterializeResult(
        metadata={
            "model_version": record.version,
            "model_path": dg.MetadataValue.path(str(record.path)),
            "training": dg.MetadataValue.json(
                json.loads(json.dumps(record.metadata["training"], default=str))
            ),
            "features": ", ".join(record.metadata["features"]),
            "as_of": str(ranked["as_of"][0]) if ranked.height else "",
            "risk_top10": markdown_table(
                ranked.select("risk_rank", "location_id", "region", "risk_score", "reason"), TOP_N
            ),
            "risk_threshold": deployed.risk_threshold,
            "locations_over_threshold": plan["location_id"].n_unique(),
            "skus_to_count_over_threshold": plan.height,
            # The cycle-count sensor reads this list instead of the live warehouse.
            "scores": dg.MetadataValue.json(
                ranked.select("location_id", "risk_score", "risk_rank", "reason").to_dicts()
            ),
            "dagster/row_count": ranked.height,
        }
    )


TARGETS_CHECK = "evaluation_targets_met"


def targets_check_result(report: dict) -> dg.AssetCheckResult:
    """WARN when the evaluated version misses a product target (docs/model-card.md)."""
    targets = report["targets"]
    return dg.AssetCheckResult(
        check_name=TARGETS_CHECK,
        passed=bool(targets["met"]),
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(targets["missed"]) or None,
        metadata={
            "model_version": report["model_version"],
            "missed": "; ".join(targets["missed"]) or "none",
            "target_recall_at_k": targets["recall_at_k"],
            "target_yield_vs_abc": targets["yield_vs_abc"],
        },
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"scikitlearn", "polars", "duckdb"},
    pool=WAREHOUSE_POOL,
    deps=[location_risk],
    # after the published snapshot when both are ready: the dashboards do not wait for it
    op_tags={"dagster/priority": "-1"},
    description="How well the current model version finds the simulator's planted anomalies "
    "(precision/recall@k, ROC AUC) and how many inaccurate records each counting policy finds "
    "per count (risk-ranked vs ABC frequency vs random, same budget), on the state that "
    "version scored: counts landing later never change it. Kept per version in "
    "intelligence.risk_model_evaluations. Needs the simulator's ground truth.",
)
def risk_model_evaluation(duckdb: DuckDBResource, paths: OmnistockPaths):
    try:
        with duckdb.get_connection() as con:
            outcome = model_evaluations.evaluate_current_version(con, paths.settings.landing_dir)
    except model_evaluations.NotEvaluated as missing:
        known = {"model_version": missing.model_version} if missing.model_version else {}
        return dg.MaterializeResult(metadata=known | {"status": str(missing)})
    report = outcome.report
    detection = report["detection"]
    counting = pl.DataFrame(report["counting"])
    return dg.MaterializeResult(
        metadata={
            "model_version": report["model_version"],
            "as_of": report["as_of"],
            "evaluated_at": str(outcome.evaluated_at),
            "kept_evaluation": outcome.reused,
            "precision_at_k": detection["precision_at_k"],
            "recall_at_k": detection["recall_at_k"],
            "roc_auc": detection["roc_auc"],
            "k": detection["k"],
            "count_budget": int(counting["counts"][0]) if counting.height else 0,
            "counting_yield": markdown_table(counting),
            "risk_yield_vs_abc": float(
                counting.filter(pl.col("policy") == "risk_ranked")["yield_vs_abc"][0]
            ),
            "risk_threshold": report["risk_threshold"],
            "targets_met": report["targets"]["met"],
            "missed_targets": "; ".join(report["targets"]["missed"]) or "none",
            "report": dg.MetadataValue.json(report),
        }
    )


@dg.asset_check(
    asset=risk_model_evaluation,
    name=TARGETS_CHECK,
    description="The model version location_risk holds meets the model card's targets on its "
    f"kept evaluation: recall@k ≥ {evaluation.TARGET_RECALL_AT_K} and risk-ranked counting "
    f"finds ≥ {evaluation.TARGET_YIELD_RATIO:g}x as many inaccurate records per count as ABC "
    "counting. Warns when one is missed; passes with a note when nothing was evaluated (no "
    "ground truth).",
)
def evaluation_targets_met(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        version = model_evaluations.current_model_version(con)
        kept = model_evaluations.stored_evaluation(con, version) if version else None
    if kept is None:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description="nothing to check: this model version was not evaluated",
            metadata={"model_version": version or "none", "missed": "not evaluated"},
        )
    return targets_check_result(kept.report)
