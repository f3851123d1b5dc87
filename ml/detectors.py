"""Location risk detectors (SPEC 6): IsolationForest plus a kNN-distance second opinion.

Features are compared with peers first. A row's peers are the most specific group with
enough members: same location type and region (stores of one region share a DC, so a DC's
short shipments do not make all its stores look odd), else same location type (× category
at that level). Each feature's deviation from the peer baseline is divided by a robust
spread, and rates are weighed by their evidence (see `_signal`); only the excess above the
peers counts (every feature is "higher = riskier"; being better than one's peers is not an
anomaly). Ordinary variation (`deadband`) is cut off and log1p tames the heavy tails before
the detectors see it.

Each detector's score is standardized against its training scores (robust z) and the two are
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

import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors

from .features import (
    FEATURE_EVIDENCE,
    FEATURE_LABELS,
    LOCATION_CATEGORY_FEATURES,
    LOCATION_CATEGORY_KEYS,
    LOCATION_FEATURES,
    LOCATION_KEYS,
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
    isolation_forest: IsolationForest
    neighbors: NearestNeighbors
    # feature -> its evidence column (the rate's denominator), where the frame has it
    evidence_columns: dict[str, str]
    # per level.peer_groups: the group's columns, then <feature>__median, __baseline, __scale
    peer_stats: list[pl.DataFrame] = field(default_factory=list)
    population_stats: dict[str, float] = field(default_factory=dict)  # the same, all rows
    # per detector: (median, spread) of its training scores; "combined": sorted training
    # combined scores, the reference of the calibrated risk_score
    reference_scores: dict[str, np.ndarray] = field(default_factory=dict)
    training: dict = field(default_factory=dict)  # rows, as_of, window_days

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self.level.feature_names


_STATS = ("median", "baseline", "scale")
# The combined statistic is rounded to this many decimals before it is ranked: rows the
# detectors cannot tell apart (identical inputs, summed in another order) tie exactly.
TIE_DECIMALS = 9


def _spread(values: np.ndarray) -> float:
    """A robust standard deviation: scaled MAD, else IQR, else mean absolute deviation
    (sparse features have MAD = IQR = 0); NaN when the values do not vary."""
    deviations = np.abs(values - np.median(values))
    q1, q3 = np.percentile(values, [25, 75])
    for spread in (1.4826 * np.median(deviations), (q3 - q1) / 1.349, 1.2533 * deviations.mean()):
        if spread > 0:
            return float(spread)
    return np.nan


def _signal(values: np.ndarray, evidence: np.ndarray | None, baseline: float) -> np.ndarray:
    """Deviation from the peer baseline. For a rate with evidence n it is the Poisson
    Pearson residual (rate - baseline) * sqrt(n / baseline): the same excess rate weighs
    more on more events, and a count noise-level excess stays near 1."""
    if evidence is None:
        return values - baseline
    return (values - baseline) * np.sqrt(evidence / baseline)


def _peer_statistics(
    values: np.ndarray, evidence: np.ndarray | None, min_relative_spread: float
) -> tuple[float, float, float]:
    """(median, baseline, scale) of one feature over one group of peers.

    The baseline is the median rate, or where most peers have none, the pooled rate (never
    below half an event over the group's evidence, so a first event elsewhere stays finite).
    Residuals are scaled by their robust spread, at least 1 for rates: peers varying less
    than counting noise must not turn noise into anomalies.
    """
    known = ~np.isnan(values)
    values = values[known]
    if evidence is not None:
        evidence = evidence[known]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    median = float(np.median(values))
    if evidence is None:
        scale = float(np.fmax(_spread(values), min_relative_spread * abs(median)))
        return median, median, scale if scale > 0 else np.nan
    total = evidence.sum()
    if total <= 0:
        return median, np.nan, np.nan
    baseline = median if median > 0 else max(float(values @ evidence / total), 0.5 / total)
    return median, baseline, float(np.fmax(1.0, _spread(_signal(values, evidence, baseline))))


def _feature_matrix(frame: pl.DataFrame, columns) -> np.ndarray:
    return frame.select(pl.col(columns).cast(pl.Float64)).to_numpy()


def _group_statistics(model: RiskModel, rows: pl.DataFrame) -> dict[str, float]:
    values = _feature_matrix(rows, model.feature_names)
    statistics = {}
    for column, name in enumerate(model.feature_names):
        evidence_column = model.evidence_columns.get(name)
        evidence = (
            rows[evidence_column].cast(pl.Float64).fill_null(0).to_numpy()
            if evidence_column
            else None
        )
        peer = _peer_statistics(values[:, column], evidence, model.config.min_relative_spread)
        for stat, value in zip(_STATS, peer, strict=True):
            statistics[f"{name}__{stat}"] = value
    return statistics


def _fit_peer_stats(model: RiskModel, features: pl.DataFrame) -> None:
    population = _group_statistics(model, features)
    # Features that never vary (or never happen) compare as "at the baseline" everywhere.
    model.population_stats = {
        key: (1.0 if key.endswith("__scale") else 0.0) if np.isnan(value) else value
        for key, value in population.items()
    }
    model.peer_stats = []
    for columns in model.level.peer_groups:
        rows = [
            {column: group[column][0] for column in columns} | _group_statistics(model, group)
            for group in features.partition_by(columns, maintain_order=True)
            if group.height >= model.config.min_peer_group_size
        ]
        schema = {column: features.schema[column] for column in columns}
        schema |= dict.fromkeys(population, pl.Float64)
        model.peer_stats.append(pl.DataFrame(rows, schema=schema, orient="row"))


def _with_peer_stats(model: RiskModel, features: pl.DataFrame) -> pl.DataFrame:
    """The features with each row's peer statistics: from its most specific peer group that
    defines them, else from the whole population."""
    joined = features
    groups = zip(model.level.peer_groups, model.peer_stats, strict=True)
    for depth, (columns, stats) in enumerate(groups):
        renamed = stats.rename({key: f"{key}#{depth}" for key in model.population_stats})
        joined = joined.join(
            renamed, on=list(columns), how="left", nulls_equal=True, maintain_order="left"
        )
    depths = range(len(model.peer_stats))
    return joined.with_columns(
        pl.coalesce(
            [pl.col(f"{key}#{depth}").fill_nan(None) for depth in depths] + [pl.lit(value)]
        ).alias(key)
        for key, value in model.population_stats.items()
    )


def _excess(model: RiskModel, with_stats: pl.DataFrame) -> np.ndarray:
    """Robust spreads above the peer baseline, >= 0; unknown values sit at the baseline."""
    columns = []
    for name in model.feature_names:
        baseline = pl.col(f"{name}__baseline")
        deviation = pl.col(name) - baseline
        evidence_column = model.evidence_columns.get(name)
        if evidence_column:
            weight = pl.when(baseline > 0).then(pl.col(evidence_column).fill_null(0) / baseline)
            deviation = deviation * weight.sqrt()
        columns.append(
            (deviation / pl.col(f"{name}__scale"))
            .clip(lower_bound=0)
            .fill_null(0.0)
            .fill_nan(0.0)
            .alias(name)
        )
    return with_stats.select(columns).to_numpy()


def _detector_input(excess: np.ndarray, deadband: float) -> np.ndarray:
    """Ordinary peer-to-peer variation (within `deadband` spreads) is set to zero so that
    noise on many features cannot outweigh a real excess on one; log1p tames the tails."""
    return np.log1p(np.clip(excess - deadband, 0, None))


def _knn_scores(neighbors: NearestNeighbors, matrix: np.ndarray) -> np.ndarray:
    """Mean distance to the k nearest training rows, skipping the nearest one: a training
    row is its own nearest neighbour, so this scores training and new rows alike."""
    distances, _ = neighbors.kneighbors(matrix)
    return distances[:, 1:].mean(axis=1)


def percentile_rank(reference: np.ndarray, statistics: np.ndarray) -> np.ndarray:
    """The risk score of each statistic: its mid-rank empirical CDF over the sorted training
    `reference` (n rows), (below + (equal + 1) / 2) / n, capped at 1 (see the module doc).
    For a training row `equal` counts the row itself, so the n training scores are the
    average ranks / n, in (0, 1]."""
    below = np.searchsorted(reference, statistics, side="left")
    not_above = np.searchsorted(reference, statistics, side="right")
    return np.minimum(1.0, (below + not_above + 1) / (2 * len(reference)))


def _detector_scores(model: RiskModel, matrix: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "isolation_score": -model.isolation_forest.score_samples(matrix),
        "knn_score": _knn_scores(model.neighbors, matrix),
    }


def _neighbor_count(config: DetectorConfig, rows: int) -> int:
    wanted = max(config.min_neighbors, math.ceil(config.neighbor_share * rows))
    return min(wanted, rows - 1)


def fit_risk_model(
    features: pl.DataFrame,
    level: Level | str = LOCATION_LEVEL,
    config: DetectorConfig = DEFAULT_DETECTOR_CONFIG,
) -> RiskModel:
    """Fit the peer statistics and both detectors on a feature frame of `ml.features`."""
    level = LEVELS[level] if isinstance(level, str) else level
    if features.height < 2:
        raise ValueError("a risk model needs at least two rows to compare")
    model = RiskModel(
        level=level,
        config=config,
        isolation_forest=IsolationForest(
            n_estimators=config.n_estimators, random_state=config.random_state
        ),
        neighbors=NearestNeighbors(n_neighbors=_neighbor_count(config, features.height) + 1),
        evidence_columns={
            feature: column
            for feature, column in FEATURE_EVIDENCE.items()
            if feature in level.feature_names and column in features.columns
        },
    )
    _fit_peer_stats(model, features)
    matrix = _detector_input(_excess(model, _with_peer_stats(model, features)), config.deadband)
    model.isolation_forest.fit(matrix)
    model.neighbors.fit(matrix)
    scores = _detector_scores(model, matrix)
    model.reference_scores = {
        name: np.array([np.median(values), np.nan_to_num(_spread(values), nan=1.0)])
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
    values = _feature_matrix(with_stats, names)
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
    combined_score (mean robust z of the detectors), isolation_score, knn_score (raw scores,
    higher = more anomalous), top_features (list), reason, then the features.
    """
    level = model.level
    with_stats = _with_peer_stats(model, features)
    excess = _excess(model, with_stats)
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
        pl.Series("isolation_score", scores["isolation_score"]),
        pl.Series("knn_score", scores["knn_score"]),
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
        "isolation_score",
        "knn_score",
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
