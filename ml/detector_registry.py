"""The anomaly detectors a risk model combines, registered by name.

A detector is fitted on the training rows' detector input (`ml.detectors`: the excess over
peers, dead-banded and log1p-tamed; one column per feature) and scores rows, higher = more
anomalous. `ml.detectors` standardizes each detector's scores against its training scores
(robust z) and averages them into the combined statistic; each score is also kept in its own
column of the risk tables (`score_column`, declared in `omnistock.tables`).

Adding a detector (docs/extending.md, "Add a detector"): a class with `name`,
`score_column`, `fit`, `score` and `params`, decorated with `@register_detector`, and its
name in `DetectorConfig.detectors`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors

if TYPE_CHECKING:
    from .detectors import DetectorConfig


class Detector(Protocol):
    name: str  # the registry key, also the key of its parameters in the model's metadata
    score_column: str  # its raw score's column in the risk tables

    def __init__(self, config: DetectorConfig) -> None: ...

    def fit(self, matrix: np.ndarray) -> None: ...

    def score(self, matrix: np.ndarray) -> np.ndarray: ...

    def params(self) -> dict: ...


DETECTORS: dict[str, type[Detector]] = {}


def register_detector(detector: type[Detector]) -> type[Detector]:
    if detector.name in DETECTORS:
        raise ValueError(f"a detector named {detector.name!r} is already registered")
    DETECTORS[detector.name] = detector
    return detector


def build_detectors(config: DetectorConfig) -> dict[str, Detector]:
    """The configured detectors, unfitted, in the configured order."""
    unknown = [name for name in config.detectors if name not in DETECTORS]
    if unknown:
        raise KeyError(f"unknown detectors {unknown}; registered: {sorted(DETECTORS)}")
    return {name: DETECTORS[name](config) for name in config.detectors}


@register_detector
class IsolationForestDetector:
    """Rows that few random splits isolate."""

    name = "isolation_forest"
    score_column = "isolation_score"

    def __init__(self, config: DetectorConfig) -> None:
        self.model = IsolationForest(
            n_estimators=config.n_estimators, random_state=config.random_state
        )

    def fit(self, matrix: np.ndarray) -> None:
        self.model.fit(matrix)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        return -self.model.score_samples(matrix)

    def params(self) -> dict:
        return self.model.get_params()


@register_detector
class NearestNeighborsDetector:
    """Mean distance to the nearest training rows: the second opinion."""

    name = "nearest_neighbors"
    score_column = "knn_score"

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self.model: NearestNeighbors | None = None

    def _neighbor_count(self, rows: int) -> int:
        wanted = max(self.config.min_neighbors, math.ceil(self.config.neighbor_share * rows))
        return min(wanted, rows - 1)

    def fit(self, matrix: np.ndarray) -> None:
        self.model = NearestNeighbors(n_neighbors=self._neighbor_count(len(matrix)) + 1)
        self.model.fit(matrix)

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """Skips the nearest one: a training row is its own nearest neighbour, so this
        scores training and new rows alike."""
        distances, _ = self.model.kneighbors(matrix)
        return distances[:, 1:].mean(axis=1)

    def params(self) -> dict:
        return self.model.get_params()
