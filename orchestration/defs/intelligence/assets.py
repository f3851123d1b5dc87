"""Location risk: features (polars) → IsolationForest + kNN scores (scikit-learn) → evaluation.

The logic lives in `ml/`; these assets read the dbt marts, call it, and write the results to
the warehouse schema `intelligence` with metadata an operations leader can read.
"""

import json

import dagster as dg
import polars as pl
from dagster_dbt import get_asset_key_for_model
from dagster_duckdb import DuckDBResource

from ml import cycle_counts, detectors, evaluation, features, inputs, registry
from omnistock.warehouse import read_table, replace_table
from orchestration.defs.transform import omnistock_dbt_assets
from orchestration.metadata import markdown_table
from orchestration.policy import cycle_count_policy
from orchestration.resources import WAREHOUSE_POOL, OmnistockPaths

GROUP = "intelligence"
OWNERS = ["team:inventory-analytics"]
SCHEMA = "intelligence"
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
def location_features(
    context: dg.AssetExecutionContext, config: RiskConfig, duckdb: DuckDBResource
):
    feature_config = features.FeatureConfig(window_days=config.window_days)
    with duckdb.get_connection() as con:
        as_of = inputs.data_as_of(con)
        risk_inputs = inputs.load_risk_inputs(con, as_of, feature_config)
        by_location = features.location_features(risk_inputs, as_of, feature_config)
        by_category = features.location_category_features(risk_inputs, as_of, feature_config)
        replace_table(con, SCHEMA, "location_features", by_location)
        replace_table(con, SCHEMA, "location_category_features", by_category)
    return dg.MaterializeResult(
        metadata={
            "as_of": str(as_of),
            "window_days": config.window_days,
            "locations": by_location.height,
            "location_categories": by_category.height,
            "dagster/row_count": by_location.height,
        }
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"scikitlearn", "polars", "duckdb"},
    pool=WAREHOUSE_POOL,
    deps=[location_features],
    description="Every location's 0–1 risk that its stock records are wrong (IsolationForest "
    "with a kNN-distance second opinion), its rank and the features that drove it. High risk "
    "turns into cycle-count requests.",
)
def location_risk(duckdb: DuckDBResource, paths: OmnistockPaths):
    models_dir = paths.settings.models_dir
    with duckdb.get_connection() as con:
        by_location = read_table(con, SCHEMA, "location_features")
        by_category = read_table(con, SCHEMA, "location_category_features")
        model, risk = detectors.fit_and_score(by_location, "location")
        record = registry.save_model(model, models_dir)
        replace_table(con, SCHEMA, "location_risk", risk)
        if by_category is not None and by_category.height >= 2:
            category_model, category_risk = detectors.fit_and_score(
                by_category, "location_category"
            )
            registry.save_model(category_model, models_dir)
            replace_table(con, SCHEMA, "location_category_risk", category_risk)
    ranked = risk.sort("risk_rank")
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
            # The cycle-count sensor reads this list instead of the live warehouse.
            "scores": dg.MetadataValue.json(
                ranked.select("location_id", "risk_score", "risk_rank", "reason").to_dicts()
            ),
            "dagster/row_count": risk.height,
        }
    )


@dg.asset(
    group_name=GROUP,
    owners=OWNERS,
    kinds={"scikitlearn", "polars"},
    pool=WAREHOUSE_POOL,
    deps=[location_risk],
    description="How well risk finds the simulator's planted anomalies (precision/recall@k, ROC "
    "AUC) and how many inaccurate records each counting policy finds per count "
    "(risk-ranked vs ABC frequency vs random, same budget). Needs the simulator's ground truth.",
)
def risk_model_evaluation(duckdb: DuckDBResource, paths: OmnistockPaths):
    landing = paths.settings.landing_dir
    if not (landing / "_truth" / "ground_truth.json").exists():
        return dg.MaterializeResult(metadata={"status": "no ground truth in the landing folder"})
    truth = evaluation.load_ground_truth(landing)
    with duckdb.get_connection() as con:
        risk = read_table(con, SCHEMA, "location_risk")
        category_risk = read_table(con, SCHEMA, "location_category_risk")
        as_of = inputs.data_as_of(con)
        risk_inputs = inputs.load_risk_inputs(con, as_of)
    # Evaluate the policy as the sensor applies it (its threshold), without cooldown: every
    # location over the threshold gets its prioritized SKU list; the other policies get the
    # same count budget.
    policy = cycle_count_policy()
    selected = cycle_counts.select_locations(risk, as_of, policy=policy)
    estimates = cycle_counts.estimate_sku_discrepancies(risk_inputs, as_of, category_risk)
    _, lines = cycle_counts.build_requests(selected, estimates, as_of)
    report = evaluation.evaluate(risk, lines, truth, risk_inputs.skus)
    detection = report["detection"]
    counting = pl.DataFrame(report["counting"])
    return dg.MaterializeResult(
        metadata={
            "precision_at_k": detection["precision_at_k"],
            "recall_at_k": detection["recall_at_k"],
            "roc_auc": detection["roc_auc"],
            "k": detection["k"],
            "count_budget": int(counting["counts"][0]) if counting.height else 0,
            "counting_yield": markdown_table(counting),
            "risk_yield_vs_abc": float(
                counting.filter(pl.col("policy") == "risk_ranked")["yield_vs_abc"][0]
            ),
            "risk_threshold": policy.risk_threshold,
            "targets_met": report["targets"]["met"],
            "report": dg.MetadataValue.json(json.loads(json.dumps(report, default=str))),
        }
    )
