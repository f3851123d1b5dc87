"""The evaluation protocol of the location risk model: a model version is evaluated on the
state it scored, and the result is kept with the version.

Why: the cycle counts a version triggers land later and correct the very records it pointed
at; measured on the state after they land, the same scores would look worse, and the figures
would depend on when the evaluation ran. So:

1. Scoring (`ml.scoring.score_locations`) freezes the version's scored state with
   `record_scored_version`
   in `intelligence.risk_model_scores`, one row per model version × location: as_of, the
   score, the rank, the deployed threshold, and the count plan: the SKUs the cycle-count
   policy would count there, first first (`ml.count_plan`: every location over the
   threshold, no cooldown; empty under it).
2. `evaluate_scored_version` evaluates that frozen state against the simulator's ground truth
   (`ml.evaluation.evaluate`: detection on the scores; counting yield of the count plan vs ABC
   and random counting on the same budget). The `risk_model_evaluation` asset and
   `benchmarks/model_card.py` both call it, so the card and the demo report the same figures.
3. `evaluate_version` keeps the first result of each version in
   `intelligence.risk_model_evaluations` (with the ground truth's fingerprint) and returns the
   kept one ever after: counts that land later never change a version's evaluation; a later
   version is scored, frozen and evaluated on its own state.

The ground truth (`<landing>/_truth/`) is the simulator's stock at the end of the simulated
period, written once; a version scored after that end is not evaluated against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from omnistock.tables import LOCATION_RISK, RISK_MODEL_EVALUATIONS, RISK_MODEL_SCORES
from omnistock.warehouse import table_exists

from . import evaluation
from .input_frames import to_naive_utc
from .inputs import QUERIES

SCORES_TABLE = RISK_MODEL_SCORES.qualified_name
EVALUATIONS_TABLE = RISK_MODEL_EVALUATIONS.qualified_name


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RISK_MODEL_SCORES.create_sql())
    con.execute(RISK_MODEL_EVALUATIONS.create_sql())


@dataclass(frozen=True)
class ScoredVersion:
    """What a model version scored: the input of its evaluation."""

    model_version: str
    as_of: datetime | None
    risk_threshold: float
    scores: pl.DataFrame  # location_id, risk_score, risk_rank
    count_plan: pl.DataFrame  # location_id, sku, risk_rank, priority (1 = count first)


@dataclass(frozen=True)
class EvaluationOutcome:
    report: dict  # evaluate_scored_version's report
    evaluated_at: datetime
    reused: bool  # True: the version's kept evaluation, not computed now


def record_scored_version(
    con: duckdb.DuckDBPyConnection,
    model_version: str,
    location_risk: pl.DataFrame,
    plan: pl.DataFrame,
    risk_threshold: float,
) -> int:
    """Freeze a version's scored state (a version already recorded is left as it is).
    `plan`: the count plan's lines (location_id, sku, priority). Returns the rows written."""
    ensure_tables(con)
    if con.execute(
        f"select count(*) from {SCORES_TABLE} where model_version = ?", [model_version]
    ).fetchall()[0][0]:
        return 0
    skus = (
        plan.sort("priority")
        .group_by("location_id", maintain_order=True)
        .agg(pl.col("sku").alias("count_plan"))
    )
    rows = RISK_MODEL_SCORES.conform(
        location_risk.select("location_id", "as_of", "risk_score", "risk_rank")
        .join(skus, on="location_id", how="left")
        .with_columns(
            pl.lit(model_version).alias("model_version"),
            pl.lit(float(risk_threshold)).alias("risk_threshold"),
            pl.col("count_plan").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
    )
    con.register("scored_version", rows.to_arrow())
    try:
        con.execute(f"insert into {SCORES_TABLE} by name select * from scored_version")
    finally:
        con.unregister("scored_version")
    return rows.height


def load_scored_version(con: duckdb.DuckDBPyConnection, model_version: str) -> ScoredVersion:
    if not table_exists(con, RISK_MODEL_SCORES.schema, RISK_MODEL_SCORES.name):
        raise LookupError(f"no {SCORES_TABLE} table: no model version was scored yet")
    rows = con.sql(
        f"select * from {SCORES_TABLE} where model_version = $version order by risk_rank",
        params={"version": model_version},
    ).pl()
    if rows.is_empty():
        raise LookupError(f"no scored state recorded for model version {model_version}")
    plan = (
        rows.select("location_id", "risk_rank", "count_plan")
        .explode("count_plan")
        .drop_nulls("count_plan")
        .rename({"count_plan": "sku"})
        .with_columns(pl.int_range(1, pl.len() + 1).over("location_id").alias("priority"))
        .select("location_id", "sku", "risk_rank", "priority")
    )
    return ScoredVersion(
        model_version,
        rows["as_of"].max(),
        float(rows["risk_threshold"][0]),
        rows.select("location_id", "risk_score", "risk_rank"),
        plan,
    )


def current_model_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The version whose scores `intelligence.location_risk` holds (None before the first
    scoring that recorded it)."""
    columns = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ?",
        [LOCATION_RISK.schema, LOCATION_RISK.name],
    ).fetchall()
    if ("model_version",) not in columns:
        return None
    rows = con.sql(f"select distinct model_version from {LOCATION_RISK.qualified_name}").fetchall()
    return rows[0][0] if len(rows) == 1 else None


def load_skus(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """SKU reference data (abc_class for the ABC policy)."""
    return con.sql(QUERIES["skus"]).pl()


def evaluate_scored_version(
    scored: ScoredVersion, truth: evaluation.GroundTruth, skus: pl.DataFrame, seed: int = 0
) -> dict:
    """The evaluation of a version on its frozen state: `ml.evaluation.evaluate` of its scores
    and count plan, with the version, its as_of and threshold and the truth's fingerprint.
    JSON-ready (as kept in `risk_model_evaluations.report`)."""
    scored_after_truth = (
        scored.as_of is not None
        and truth.ends_at is not None
        and to_naive_utc(scored.as_of) > to_naive_utc(truth.ends_at)
    )
    if scored_after_truth:
        raise ValueError(
            f"model version {scored.model_version} scored the state as of {scored.as_of}, "
            f"after the ground truth's end ({truth.ends_at}): it cannot be evaluated"
        )
    report = evaluation.evaluate(scored.scores, scored.count_plan, truth, skus, seed=seed)
    return {
        "model_version": scored.model_version,
        "as_of": scored.as_of.isoformat() if scored.as_of is not None else None,
        "risk_threshold": scored.risk_threshold,
        "truth_fingerprint": truth.fingerprint,
    } | report


def _policy_row(report: dict, policy: str) -> dict:
    return next(row for row in report["counting"] if row["policy"] == policy)


def _evaluation_row(report: dict, evaluated_at: datetime) -> pl.DataFrame:
    """The report as its one row of risk_model_evaluations."""
    detection, targets = report["detection"], report["targets"]
    risk_ranked = _policy_row(report, "risk_ranked")
    as_of = report["as_of"]
    row = {
        "model_version": report["model_version"],
        "as_of": datetime.fromisoformat(as_of) if as_of is not None else None,
        "evaluated_at": evaluated_at,
        "truth_fingerprint": report["truth_fingerprint"],
        "risk_threshold": report["risk_threshold"],
        "k": detection["k"],
        "planted": detection["planted"],
        "hits_at_k": detection["hits_at_k"],
        "precision_at_k": detection["precision_at_k"],
        "recall_at_k": detection["recall_at_k"],
        "roc_auc": detection["roc_auc"],
        "count_budget": risk_ranked["counts"],
        "yield_risk_ranked": risk_ranked["yield"],
        "yield_abc_frequency": _policy_row(report, "abc_frequency")["yield"],
        "yield_random": _policy_row(report, "random")["yield"],
        "risk_yield_vs_abc": risk_ranked["yield_vs_abc"],
        "targets_met": targets["met"],
        "missed_targets": "; ".join(targets["missed"]),
        "report": json.dumps(report, default=str),
    }
    return RISK_MODEL_EVALUATIONS.conform(pl.DataFrame([row]))


def stored_evaluation(
    con: duckdb.DuckDBPyConnection, model_version: str
) -> EvaluationOutcome | None:
    """The kept evaluation of a version, if any (read-only connections welcome)."""
    if not table_exists(con, RISK_MODEL_EVALUATIONS.schema, RISK_MODEL_EVALUATIONS.name):
        return None
    rows = con.execute(
        f"select report, evaluated_at from {EVALUATIONS_TABLE} where model_version = ?",
        [model_version],
    ).fetchall()
    if not rows:
        return None
    [(report, evaluated_at)] = rows
    return EvaluationOutcome(json.loads(report), evaluated_at, reused=True)


def evaluate_version(
    con: duckdb.DuckDBPyConnection,
    model_version: str,
    landing_dir: str | Path,
    evaluated_at: datetime | None = None,
) -> EvaluationOutcome:
    """The version's kept evaluation, or (the first time) its evaluation on its frozen state
    against `<landing_dir>/_truth/`, kept in `risk_model_evaluations`."""
    ensure_tables(con)
    kept = stored_evaluation(con, model_version)
    if kept is not None:
        return kept
    scored = load_scored_version(con, model_version)
    report = evaluate_scored_version(
        scored, evaluation.load_ground_truth(landing_dir), load_skus(con)
    )
    evaluated_at = to_naive_utc(evaluated_at or datetime.now(UTC))
    con.register("evaluation_row", _evaluation_row(report, evaluated_at).to_arrow())
    try:
        con.execute(
            f"insert or ignore into {EVALUATIONS_TABLE} by name select * from evaluation_row"
        )
    finally:
        con.unregister("evaluation_row")
    return EvaluationOutcome(json.loads(json.dumps(report, default=str)), evaluated_at, False)


class NotEvaluated(Exception):
    """Why the current model version has no evaluation: no ground truth, no version, no
    frozen state, or a state scored after the truth's end."""

    def __init__(self, reason: str, model_version: str | None = None):
        super().__init__(reason)
        self.model_version = model_version


def evaluate_current_version(
    con: duckdb.DuckDBPyConnection, landing_dir: str | Path
) -> EvaluationOutcome:
    """`evaluate_version` of the version location_risk holds; NotEvaluated says why not."""
    if not (Path(landing_dir) / evaluation.TRUTH_FILE).exists():
        raise NotEvaluated("no ground truth in the landing folder")
    version = current_model_version(con)
    if version is None:
        raise NotEvaluated("location_risk names no model version: materialize it")
    try:
        return evaluate_version(con, version, landing_dir)
    except (LookupError, ValueError) as cannot:  # no frozen state; truth ends before it
        raise NotEvaluated(str(cannot), version) from cannot
