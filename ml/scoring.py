"""Location risk on the warehouse: the feature tables, then the scores of a new model version.

The two steps the intelligence assets run, each one call: `write_features` (marts → features
→ `intelligence.location_features` / `location_category_features`) and `score_locations`
(features → fitted model, saved with its version → `intelligence.location_risk` /
`location_category_risk` → the version's scored state and count plan, frozen for its
evaluation, `ml.model_evaluations`). Every table is written as `omnistock.tables` declares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from omnistock.tables import (
    LOCATION_CATEGORY_FEATURES_TABLE,
    LOCATION_CATEGORY_RISK,
    LOCATION_FEATURES_TABLE,
    LOCATION_RISK,
    Table,
)
from omnistock.warehouse import read_table, replace_table

from . import model_evaluations, registry
from .count_plan import plan_counts
from .count_policy import CycleCountPolicy
from .detectors import fit_and_score
from .features import FeatureConfig, location_category_features, location_features
from .inputs import data_as_of, load_risk_inputs


def _write(con: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame) -> None:
    replace_table(con, table.schema, table.name, table.conform(frame))


def _read(con: duckdb.DuckDBPyConnection, table: Table) -> pl.DataFrame | None:
    return read_table(con, table.schema, table.name)


@dataclass(frozen=True)
class FeatureOutcome:
    as_of: datetime | None
    window_days: int
    locations: int
    location_categories: int


def write_features(con: duckdb.DuckDBPyConnection, config: FeatureConfig) -> FeatureOutcome:
    """The features per location and per location × category at the data horizon."""
    as_of = data_as_of(con)
    risk_inputs = load_risk_inputs(con, as_of, config)
    by_location = location_features(risk_inputs, as_of, config)
    by_category = location_category_features(risk_inputs, as_of, config)
    _write(con, LOCATION_FEATURES_TABLE, by_location)
    _write(con, LOCATION_CATEGORY_FEATURES_TABLE, by_category)
    return FeatureOutcome(as_of, config.window_days, by_location.height, by_category.height)


@dataclass(frozen=True)
class ScoringOutcome:
    record: registry.ModelRecord  # the location model's version, file and metadata
    risk: pl.DataFrame  # intelligence.location_risk as written, riskiest first
    # The requests the policy would make from these scores without cooldown (location_id,
    # sku, risk_rank, priority, ...): what the version's evaluation counts.
    count_plan: pl.DataFrame


def score_locations(
    con: duckdb.DuckDBPyConnection, models_dir: str | Path, policy: CycleCountPolicy
) -> ScoringOutcome:
    """Fit and score a model version per level on the feature tables, write the risk tables
    and freeze the version's scored state with its count plan under `policy`."""
    by_location = _read(con, LOCATION_FEATURES_TABLE)
    by_category = _read(con, LOCATION_CATEGORY_FEATURES_TABLE)
    model, risk = fit_and_score(by_location, "location")
    record = registry.save_model(model, models_dir)
    risk = risk.with_columns(model_version=pl.lit(record.version))
    _write(con, LOCATION_RISK, risk)
    if by_category is not None and by_category.height >= 2:
        category_model, category_risk = fit_and_score(by_category, "location_category")
        registry.save_model(category_model, models_dir)
        _write(con, LOCATION_CATEGORY_RISK, category_risk)
    # Freeze what this version scored and the counts it would request: its evaluation is
    # made on this state, never on the counts it triggers (ml.model_evaluations).
    as_of = risk["as_of"].max()
    plan = plan_counts(con, risk, _read(con, LOCATION_CATEGORY_RISK), as_of, policy)
    model_evaluations.record_scored_version(
        con, record.version, risk, plan.lines, policy.risk_threshold
    )
    return ScoringOutcome(record, risk.sort("risk_rank"), plan.lines)
