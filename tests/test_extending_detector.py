"""docs/extending.md, "Add a detector", followed step by step on its toy detector."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_ml_detectors import NORMAL, population  # pytest puts tests/ on sys.path

from ml.detector_registry import DETECTORS, register_detector
from ml.detectors import DEFAULT_DETECTOR_CONFIG, DetectorConfig, fit_and_score
from ml.peers import robust_spread
from omnistock.tables import LOCATION_RISK, TableContractError


# Step 1: the detector, as the guide writes it in ml/detector_registry.py.
class MaxExcessDetector:
    """A row's largest (dead-banded, log1p-tamed) excess over its peers: one feature far
    above the peers is enough."""

    name = "max_excess"
    score_column = "max_excess_score"

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config

    def fit(self, matrix: np.ndarray) -> None:
        pass  # nothing to learn: the peer baselines are fitted before the detectors

    def score(self, matrix: np.ndarray) -> np.ndarray:
        return matrix.max(axis=1)

    def params(self) -> dict:
        return {}


@pytest.fixture
def registered():
    """Step 1's `@register_detector`, taken back afterwards so that other tests see the
    default registry; the config of step 2."""
    register_detector(MaxExcessDetector)
    yield DetectorConfig(detectors=(*DEFAULT_DETECTOR_CONFIG.detectors, "max_excess"))
    del DETECTORS["max_excess"]


def test_step_1_the_toy_detector_scores_by_hand():
    # Rows of detector input (one column per feature): the largest value of each row.
    matrix = np.array([[0.0, 1.5, 0.2], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert MaxExcessDetector(DEFAULT_DETECTOR_CONFIG).score(matrix).tolist() == [1.5, 2.0, 0.0]


def test_step_1_a_name_is_registered_once(registered):
    with pytest.raises(ValueError, match="already registered"):
        register_detector(MaxExcessDetector)
    with pytest.raises(KeyError, match="unknown detectors"):
        fit_and_score(population(), "location", DetectorConfig(detectors=("no_such_detector",)))


def test_step_2_the_detector_joins_the_combined_score(registered):
    features = population(
        S040={"shrink_units_per_throughput": 5 * NORMAL["shrink_units_per_throughput"]}
    )
    model, risk = fit_and_score(features, "location", registered)
    assert list(model.detectors) == ["isolation_forest", "nearest_neighbors", "max_excess"]
    assert risk.columns.index("max_excess_score") == risk.columns.index("knn_score") + 1
    # combined_score is the mean of each detector's robust z against its training scores.
    columns = ("isolation_score", "knn_score", "max_excess_score")
    standardized = [
        (risk[column].to_numpy() - np.median(risk[column].to_numpy()))
        / robust_spread(risk[column].to_numpy())
        for column in columns
    ]
    expected = np.round(np.mean(standardized, axis=0), 9)
    assert risk["combined_score"].to_numpy() == pytest.approx(expected, abs=1e-9)
    assert risk.row(0, named=True)["location_id"] == "S040"

    # Alone, it finds the planted store too.
    alone = fit_and_score(features, "location", DetectorConfig(detectors=("max_excess",)))[1]
    assert alone.row(0, named=True)["location_id"] == "S040"

    # The default detectors' scores are the same with or without it.
    default = fit_and_score(features, "location")[1]
    assert_frame_equal(
        risk.select("location_id", *columns[:2]).sort("location_id"),
        default.select("location_id", *columns[:2]).sort("location_id"),
    )


def test_step_3_its_score_column_must_be_declared_before_it_is_deployed(registered):
    """Written as location_risk, the new score column is refused until omnistock.tables
    declares it (test_table_contracts then checks the written table)."""
    _, risk = fit_and_score(population(), "location", registered)
    with pytest.raises(TableContractError, match=r"undeclared columns \['max_excess_score'\]"):
        LOCATION_RISK.conform(risk.with_columns(model_version=pl.lit("v1")))
