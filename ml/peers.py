"""Peer baselines: how far above its peers each feature of a row lies, in robust spreads.

A row's peers are the most specific group with enough members (`PeerBaselines.groups`, most
specific first, e.g. same location type and region, then same location type), else all the
rows. Each feature's deviation from the peer baseline is divided by a robust spread, and
rates are weighed by their evidence (`_signal`); only the excess above the peers counts
(every feature is "higher = riskier"; being better than one's peers is not an anomaly).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

_STATS = ("median", "baseline", "scale")


@dataclass
class PeerBaselines:
    """Per peer group and over all rows: each feature's median, baseline and scale."""

    groups: tuple[tuple[str, ...], ...]  # most specific first
    feature_names: tuple[str, ...]
    # feature -> its evidence column (the rate's denominator), where the frame has it
    evidence_columns: dict[str, str]
    min_relative_spread: float
    min_group_size: int
    # per group: the group's columns, then <feature>__median, __baseline, __scale
    group_stats: list[pl.DataFrame] = field(default_factory=list)
    population_stats: dict[str, float] = field(default_factory=dict)  # the same, all rows


def robust_spread(values: np.ndarray) -> float:
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
        scale = float(np.fmax(robust_spread(values), min_relative_spread * abs(median)))
        return median, median, scale if scale > 0 else np.nan
    total = evidence.sum()
    if total <= 0:
        return median, np.nan, np.nan
    baseline = median if median > 0 else max(float(values @ evidence / total), 0.5 / total)
    return median, baseline, float(np.fmax(1.0, robust_spread(_signal(values, evidence, baseline))))


def feature_matrix(frame: pl.DataFrame, columns) -> np.ndarray:
    return frame.select(pl.col(columns).cast(pl.Float64)).to_numpy()


def _group_statistics(baselines: PeerBaselines, rows: pl.DataFrame) -> dict[str, float]:
    values = feature_matrix(rows, baselines.feature_names)
    statistics = {}
    for column, name in enumerate(baselines.feature_names):
        evidence_column = baselines.evidence_columns.get(name)
        evidence = (
            rows[evidence_column].cast(pl.Float64).fill_null(0).to_numpy()
            if evidence_column
            else None
        )
        peer = _peer_statistics(values[:, column], evidence, baselines.min_relative_spread)
        for stat, value in zip(_STATS, peer, strict=True):
            statistics[f"{name}__{stat}"] = value
    return statistics


def fit_peer_baselines(baselines: PeerBaselines, features: pl.DataFrame) -> PeerBaselines:
    """The baselines with their statistics computed on `features` (the training rows)."""
    population = _group_statistics(baselines, features)
    # Features that never vary (or never happen) compare as "at the baseline" everywhere.
    baselines.population_stats = {
        key: (1.0 if key.endswith("__scale") else 0.0) if np.isnan(value) else value
        for key, value in population.items()
    }
    baselines.group_stats = []
    for columns in baselines.groups:
        rows = [
            {column: group[column][0] for column in columns} | _group_statistics(baselines, group)
            for group in features.partition_by(columns, maintain_order=True)
            if group.height >= baselines.min_group_size
        ]
        schema = {column: features.schema[column] for column in columns}
        schema |= dict.fromkeys(population, pl.Float64)
        baselines.group_stats.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return baselines


def with_peer_stats(baselines: PeerBaselines, features: pl.DataFrame) -> pl.DataFrame:
    """The features with each row's peer statistics: from its most specific peer group that
    defines them, else from the whole population."""
    joined = features
    groups = zip(baselines.groups, baselines.group_stats, strict=True)
    for depth, (columns, stats) in enumerate(groups):
        renamed = stats.rename({key: f"{key}#{depth}" for key in baselines.population_stats})
        joined = joined.join(
            renamed, on=list(columns), how="left", nulls_equal=True, maintain_order="left"
        )
    depths = range(len(baselines.group_stats))
    return joined.with_columns(
        pl.coalesce(
            [pl.col(f"{key}#{depth}").fill_nan(None) for depth in depths] + [pl.lit(value)]
        ).alias(key)
        for key, value in baselines.population_stats.items()
    )


def excess_over_peers(baselines: PeerBaselines, with_stats: pl.DataFrame) -> np.ndarray:
    """Robust spreads above the peer baseline, >= 0; unknown values sit at the baseline."""
    columns = []
    for name in baselines.feature_names:
        baseline = pl.col(f"{name}__baseline")
        deviation = pl.col(name) - baseline
        evidence_column = baselines.evidence_columns.get(name)
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
