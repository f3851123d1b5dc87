"""Location risk model (SPEC 6): peer excess → anomaly detectors → one calibrated score.

Features are compared with peers first (`ml.peers`). A row's peers are the most specific
group with enough members: same location type and region (stores of one region share a DC,
so a DC's short shipments do not make all its stores look odd), else same location type
(× category at that level). Ordinary variation (`deadband`) is cut off the excess over peers
and log1p tames the heavy tails before the detectors see it.

The detectors (`ml.detector_registry`; by default an IsolationForest and a kNN-distance
second opinion) are named in `DetectorConfig.detectors`. Each detector's score is
standardized against its training scores (robust z) and the standardized scores are
averaged, so a row far beyond anything seen keeps its lead (a rank or CDF average would
saturate): the combined statistic (`combined_score`, rounded to `TIE_DECIMALS` so that rows
the detectors cannot tell apart tie exactly).

`risk_score` is the mid-rank empirical CDF of the combined statistic over the n training rows
(`percentile_rank`):

    risk_score = (lower + (equal + 1) / 2) / n

lower: the training rows with a lower statistic; equal: those with an equal one, the row
itself included. So the n training scores are their average ranks / n, in (0, 1]: a row alone
at its value scores the share of the rows that look no riskier than it (itself included), the
riskiest scores 1, and rows with an equal statistic (e.g. all the rows with nothing to report)
share the middle of their ranks. A threshold t selects about the riskiest (1 - t) share of the
rows (0.9: the top 10 %). A row that is not a training row is placed among them as if it were
one, capped at 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from omnistock.tables import LOCATION_CATEGORY_FEATURES, LOCATION_FEATURES

from .detector_registry import Detector, build_detectors
from .features import FEATURE_EVIDENCE, FEATURE_LABELS, LOCATION_CATEGORY_KEYS, LOCATION_KEYS
from .peers import (
    PeerBaselines,
    excess_over_peers,
    feature_matrix,
    fit_peer_baselines,
    robust_spread,
    with_peer_stats,
)


@dataclass(frozen=True)
class Level:
    """What one model scores: its row keys, peer groups and features."""

    name: str
    keys: tuple[str, ...]
    peer_groups: tuple[tuple[str, ...], ...]  # most specific first
    feature_names: tuple[str, ...]

    @property
    def peer_columns(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(c for group in self.peer_groups for c in group if c not in self.keys)
        )


LOCATION_LEVEL = Level(
    "location", LOCATION_KEYS, (("location_type", "region"), ("location_type",)), LOCATION_FEATURES
)
LOCATION_CATEGORY_LEVEL = Level(
    "location_category",
    LOCATION_CATEGORY_KEYS,
    (("location_type", "region", "category"), ("location_type", "category")),
    LOCATION_CATEGORY_FEATURES,
)
LEVELS = {level.name: level for level in (LOCATION_LEVEL, LOCATION_CATEGORY_LEVEL)}


@dataclass(frozen=True)
class DetectorConfig:
    # The detectors combined, by registered name (ml.detector_registry).
    detectors: tuple[str, ...] = ("isolation_forest", "nearest_neighbors")
    n_estimators: int = 200
    # kNN peers as a share of the rows (at least 5): more than any group of look-alike
    # anomalies (5% of stores shrink in the reference scenario), so that a cluster of them
    # cannot vouch for itself.
    neighbor_share: float = 0.1
    min_neighbors: int = 5
    random_state: int = 0
    # Excess over peers below this many robust spreads is treated as ordinary variation.
    deadband: float = 2.0
    # Smaller peer groups defer to the next, broader one (and finally to all rows).
    min_peer_group_size: int = 3
    # Features without evidence (feed lag) vary at least this share of the peer median:
    # a minute over a 30-minute norm is not an anomaly, however alike the peers are.
    min_relative_spread: float = 0.1
    # A feature is named as a driver when it is this many robust spreads above its peers.
    driver_min_excess: float = 2.0
    top_drivers: int = 3


DEFAULT_DETECTOR_CONFIG = DetectorConfig()


@dataclass
class RiskModel:
    level: Level
    config: DetectorConfig
    peers: PeerBaselines
    detectors: dict[str, Detector]  # by name, in the configured order
    # per detector: (median, spread) of its training scores; "combined": sorted training
    # combined scores, the reference of the calibrated risk_score
    reference_scores: dict[str, np.ndarray] = field(default_factory=dict)
    training: dict = field(default_factory=dict)  # rows, as_of, window_days

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.level.feature_names

    @property
    def evidence_columns(self) -> dict[str, str]:
        return self.peers.evidence_columns

    @property
    def score_columns(self) -> tuple[str, ...]:
        return tuple(detector.score_column for detector in self.detectors.values())


# The combined statistic is rounded to this many decimals before it is ranked: rows the
# detectors cannot tell apart (identical inputs, summed in another order) tie exactly.
TIE_DECIMALS = 9


def _detector_input(excess: np.ndarray, deadband: float) -> np.ndarray:
    """Ordinary peer-to-peer variation (within `deadband` spreads) is set to zero so that
    noise on many features cannot outweigh a real excess on one; log1p tames the tails."""
    return np.log1p(np.clip(excess - deadband, 0, None))


def percentile_rank(reference: np.ndarray, statistics: np.ndarray) -> np.ndarray:
    """The risk score of each statistic: its mid-rank empirical CDF over the sorted training
    `reference` (n rows), (below + (equal + 1) / 2) / n, capped at 1 (see the module doc).
    For a training row `equal` counts the row itself, so the n training scores are the
    average ranks / n, in (0, 1]."""
    below = np.searchsorted(reference, statistics, side="left")
    not_above = np.searchsorted(reference, statistics, side="right")
    return np.minimum(1.0, (below + not_above + 1) / (2 * len(reference)))


def _detector_scores(model: RiskModel, matrix: np.ndarray) -> dict[str, np.ndarray]:
    """Each detector's raw score, keyed by its score column."""
    return {detector.score_column: detector.score(matrix) for detector in model.detectors.values()}


def fit_risk_model(
    features: pl.DataFrame,
    level: Level | str = LOCATION_LEVEL,
    config: DetectorConfig = DEFAULT_DETECTOR_CONFIG,
) -> RiskModel:
    """Fit the peer baselines and the detectors on a feature frame of `ml.features`."""
    level = LEVELS[level] if isinstance(level, str) else level
    if features.height < 2:
        raise ValueError("a risk model needs at least two rows to compare")
    peers = PeerBaselines(
        groups=level.peer_groups,
        feature_names=level.feature_names,
        evidence_columns={
            feature: column
            for feature, column in FEATURE_EVIDENCE.items()
            if feature in level.feature_names and column in features.columns
        },
        min_relative_spread=config.min_relative_spread,
        min_group_size=config.min_peer_group_size,
    )
    model = RiskModel(
        level=level,
        config=config,
        peers=fit_peer_baselines(peers, features),
        detectors=build_detectors(config),
    )
    matrix = _detector_input(
        excess_over_peers(peers, with_peer_stats(peers, features)), config.deadband
    )
    for detector in model.detectors.values():
        detector.fit(matrix)
    scores = _detector_scores(model, matrix)
    model.reference_scores = {
        name: np.array([np.median(values), np.nan_to_num(robust_spread(values), nan=1.0)])
        for name, values in scores.items()
    }
    model.reference_scores["combined"] = np.sort(_combined(model, scores))
    model.training = {
        "rows": features.height,
        "as_of": features["as_of"].max().isoformat() if "as_of" in features.columns else None,
        "window_days": int(features["window_days"].max())
        if "window_days" in features.columns
        else None,
    }
    return model


def _standardized(model: RiskModel, name: str, values: np.ndarray) -> np.ndarray:
    median, spread = model.reference_scores[name]
    return (values - median) / spread


def _combined(model: RiskModel, scores: dict[str, np.ndarray]) -> np.ndarray:
    mean = np.mean([_standardized(model, name, values) for name, values in scores.items()], axis=0)
    return np.round(mean, TIE_DECIMALS)


def _describe(name: str, value: float, median: float) -> str:
    label = FEATURE_LABELS[name]
    if median > 0:
        return f"{label} {value / median:.1f}x peer median"
    return f"{label} {value:.3g} vs peer median 0"


def _drivers(
    model: RiskModel, with_stats: pl.DataFrame, excess: np.ndarray
) -> tuple[list[list[str]], list[str]]:
    """Per row: the features furthest above their peers, and a sentence naming them."""
    names = model.feature_names
    values = feature_matrix(with_stats, names)
    medians = with_stats.select(pl.col(f"{name}__median") for name in names).to_numpy()
    top_features, reasons = [], []
    for row in range(excess.shape[0]):
        order = np.argsort(-excess[row], kind="stable")[: model.config.top_drivers]
        chosen = [i for i in order if excess[row, i] >= model.config.driver_min_excess]
        top_features.append([names[i] for i in chosen])
        reasons.append(
            "; ".join(_describe(names[i], values[row, i], medians[row, i]) for i in chosen)
            or "no feature stands out from its peers"
        )
    return top_features, reasons


def score_risk(model: RiskModel, features: pl.DataFrame) -> pl.DataFrame:
    """Risk per row of `features` (same level as the model), riskiest first.

    Columns: the keys, the peer columns, as_of, risk_score (in (0, 1]), risk_rank (1 = riskiest),
    combined_score (mean robust z of the detectors), each detector's raw score (its
    `score_column`, e.g. isolation_score, knn_score; higher = more anomalous), top_features
    (list), reason, then the features.
    """
    level = model.level
    with_stats = with_peer_stats(model.peers, features)
    excess = excess_over_peers(model.peers, with_stats)
    scores = _detector_scores(model, _detector_input(excess, model.config.deadband))
    combined = _combined(model, scores)
    top_features, reasons = _drivers(model, with_stats, excess)
    as_of = (
        pl.col("as_of")
        if "as_of" in features.columns
        else pl.lit(None, pl.Datetime("us")).alias("as_of")
    )
    scored = features.select(*level.keys, *level.peer_columns, as_of).with_columns(
        pl.Series("risk_score", percentile_rank(model.reference_scores["combined"], combined)),
        pl.Series("combined_score", combined),
        *(pl.Series(column, values) for column, values in scores.items()),
        pl.Series("top_features", top_features, dtype=pl.List(pl.String)),
        pl.Series("reason", reasons, dtype=pl.String),
        *(features[name] for name in level.feature_names),
    )
    # The combined score orders (also beyond the calibrated score's cap at 1), the key breaks
    # ties: stable ranks.
    ranked = scored.sort(
        ["combined_score", *level.keys], descending=[True, *([False] * len(level.keys))]
    )
    return ranked.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("risk_rank")
    ).select(
        *level.keys,
        *level.peer_columns,
        "as_of",
        "risk_score",
        "risk_rank",
        "combined_score",
        *model.score_columns,
        "top_features",
        "reason",
        *level.feature_names,
    )


def fit_and_score(
    features: pl.DataFrame,
    level: Level | str = LOCATION_LEVEL,
    config: DetectorConfig = DEFAULT_DETECTOR_CONFIG,
) -> tuple[RiskModel, pl.DataFrame]:
    model = fit_risk_model(features, level, config)
    return model, score_risk(model, features)
