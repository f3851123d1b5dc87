"""Evaluation against the simulator's ground truth (SPEC 6 "quality of purpose").

Two questions. Does the location risk find the planted anomalous locations
(precision@k, recall@k with k = number of planted locations, ROC AUC)? And does counting
by risk find more wrong records per count than ABC-frequency or random counting on the same
budget of sku-location counts ("yield"; a record is wrong where book ≠ true stock in
`true_stock.parquet`)? The pipeline never reads the truth for scoring, only here.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

# Counts per year of an ABC cycle-count programme: A monthly, B quarterly, C twice a year.
ABC_COUNTS_PER_YEAR = {"A": 12, "B": 4, "C": 2}
# Where the simulator writes the truth, under the landing folder.
TRUTH_FILE = Path("_truth") / "ground_truth.json"
# The product targets (docs/model-card.md); `missed_targets` names the ones a report misses.
TARGET_RECALL_AT_K = 0.8
TARGET_YIELD_RATIO = 3.0  # risk-ranked yield ÷ ABC yield


@dataclass(frozen=True)
class GroundTruth:
    anomalous_locations: pl.DataFrame  # location_id, faults (list of names)
    true_stock: pl.DataFrame  # location_id, sku, book_quantity, true_quantity
    # sha256 of the truth files as read: which truth an evaluation was made against
    fingerprint: str | None = None
    # the end of the simulated period the truth describes (the stock is as of then)
    ends_at: datetime | None = None


def load_ground_truth(landing_dir: str | Path) -> GroundTruth:
    """`<landing>/_truth/ground_truth.json` and `true_stock.parquet` as the simulator writes
    them (the JSON's "anomalous_locations": [{"location_id", "faults": [...]}, ...],
    "horizon": {"end": ISO instant})."""
    truth_path = Path(landing_dir) / TRUTH_FILE
    truth_dir = truth_path.parent
    truth_bytes = truth_path.read_bytes()
    truth = json.loads(truth_bytes)
    anomalous = pl.DataFrame(
        [
            {"location_id": item["location_id"], "faults": list(item["faults"])}
            for item in truth["anomalous_locations"]
        ],
        schema={"location_id": pl.String, "faults": pl.List(pl.String)},
    )
    true_stock_path = truth_dir / Path(truth.get("true_stock_path", "true_stock.parquet")).name
    stock_bytes = true_stock_path.read_bytes()
    end = (truth.get("horizon") or {}).get("end")
    return GroundTruth(
        anomalous,
        pl.read_parquet(io.BytesIO(stock_bytes)),
        fingerprint=hashlib.sha256(truth_bytes + stock_bytes).hexdigest(),
        ends_at=datetime.fromisoformat(end.replace("Z", "+00:00")) if end else None,
    )


def detection_metrics(
    location_risk: pl.DataFrame, anomalous_location_ids: list[str] | set[str], k: int | None = None
) -> dict:
    """precision@k, recall@k (k defaults to the number of planted locations) and ROC AUC of
    risk_score, over the locations in `location_risk` (location_id, risk_score, risk_rank)."""
    from sklearn.metrics import roc_auc_score  # slow to import: only where it is used

    planted = set(anomalous_location_ids)
    k = len(planted) if k is None else k
    ranked = location_risk.sort("risk_rank")
    labels = ranked["location_id"].is_in(list(planted)).to_numpy()
    hits = int(labels[:k].sum())
    auc = (
        float(roc_auc_score(labels, ranked["risk_score"].to_numpy()))
        if 0 < labels.sum() < len(labels)
        else None
    )
    return {
        "k": k,
        "planted": len(planted),
        "hits_at_k": hits,
        "precision_at_k": hits / k if k else None,
        "recall_at_k": hits / len(planted) if planted else None,
        "roc_auc": auc,
        "missed": sorted(planted - set(ranked["location_id"].head(k).to_list())),
    }


def counting_yield(counted: pl.DataFrame, true_stock: pl.DataFrame) -> dict:
    """Wrong records found per count. `counted`: location_id, sku (one row per count); a
    counted sku-location missing from the truth holds no stock and is accurate."""
    found = (
        counted.join(true_stock, on=["location_id", "sku"], how="left")
        .select((pl.col("book_quantity") != pl.col("true_quantity")).fill_null(False).sum())
        .item()
    )
    counts = counted.height
    return {
        "counts": counts,
        "inaccurate_found": int(found),
        "yield": found / counts if counts else None,
    }


def select_risk_ranked(request_lines: pl.DataFrame, budget: int) -> pl.DataFrame:
    """The first `budget` SKUs of the requests, riskiest location first, in priority order."""
    return request_lines.sort("risk_rank", "priority").head(budget).select("location_id", "sku")


def select_abc_frequency(
    sku_locations: pl.DataFrame, skus: pl.DataFrame, budget: int, seed: int = 0
) -> pl.DataFrame:
    """ABC programme pro-rated to the budget: each class gets counts in proportion to its
    sku-locations × counts per year; within a class the due records are a seeded draw."""
    population = (
        sku_locations.select("location_id", "sku")
        .join(skus.select("sku", "abc_class"), on="sku", how="left")
        .sort("location_id", "sku")
    )
    sizes = population.group_by("abc_class").len().sort("abc_class")
    weights = np.array(
        [len_ * ABC_COUNTS_PER_YEAR.get(c, 0) for c, len_ in sizes.iter_rows()], dtype=float
    )
    quotas = _largest_remainder(
        min(budget, population.height) * weights / weights.sum(), sizes["len"].to_numpy()
    )
    rng = np.random.default_rng(seed)
    chosen = []
    for (abc_class, size), quota in zip(sizes.iter_rows(), quotas, strict=True):
        members = population.filter(pl.col("abc_class") == abc_class)
        chosen.append(members[np.sort(rng.choice(size, quota, replace=False))])
    return pl.concat(chosen).select("location_id", "sku")


def _largest_remainder(shares: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    quotas = np.minimum(np.floor(shares).astype(int), capacity)
    order = np.argsort(-(shares - np.floor(shares)), kind="stable")
    for index in order[: int(round(shares.sum())) - quotas.sum()]:
        if quotas[index] < capacity[index]:
            quotas[index] += 1
    return quotas


def select_random(sku_locations: pl.DataFrame, budget: int, seed: int = 0) -> pl.DataFrame:
    population = sku_locations.select("location_id", "sku").sort("location_id", "sku")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(population.height, min(budget, population.height), replace=False))
    return population[rows]


def compare_counting_policies(
    request_lines: pl.DataFrame,
    true_stock: pl.DataFrame,
    skus: pl.DataFrame,
    budget: int | None = None,
    seed: int = 0,
) -> pl.DataFrame:
    """Yield of risk-ranked, ABC-frequency and random counting on one budget (default: the
    number of request lines). The population is every sku-location of the truth.

    Columns: policy, counts, inaccurate_found, yield, yield_vs_abc.
    """
    budget = request_lines.height if budget is None else budget
    selections = {
        "risk_ranked": select_risk_ranked(request_lines, budget),
        "abc_frequency": select_abc_frequency(true_stock, skus, budget, seed),
        "random": select_random(true_stock, budget, seed),
    }
    rows = [
        {"policy": name} | counting_yield(selected, true_stock)
        for name, selected in selections.items()
    ]
    table = pl.DataFrame(
        rows,
        schema={
            "policy": pl.String,
            "counts": pl.Int64,
            "inaccurate_found": pl.Int64,
            "yield": pl.Float64,
        },
    )
    # ABC finding nothing makes any find infinitely better (inf), and nothing at all NaN.
    abc_yield = table.filter(pl.col("policy") == "abc_frequency")["yield"].item()
    return table.with_columns((pl.col("yield") / abc_yield).alias("yield_vs_abc"))


def evaluate(
    location_risk: pl.DataFrame,
    request_lines: pl.DataFrame,
    truth: GroundTruth,
    skus: pl.DataFrame,
    budget: int | None = None,
    seed: int = 0,
) -> dict:
    """Everything in one report, with whether the product targets are met (and which not)."""
    detection = detection_metrics(location_risk, truth.anomalous_locations["location_id"])
    policies = compare_counting_policies(request_lines, truth.true_stock, skus, budget, seed)
    ratio = policies.filter(pl.col("policy") == "risk_ranked")["yield_vs_abc"].item()
    missed = missed_targets(detection["recall_at_k"], ratio)
    return {
        "detection": detection,
        "counting": policies.to_dicts(),
        "targets": {
            "recall_at_k": TARGET_RECALL_AT_K,
            "yield_vs_abc": TARGET_YIELD_RATIO,
            "met": not missed,
            "missed": missed,
        },
    }


def missed_targets(recall_at_k: float | None, yield_vs_abc: float | None) -> list[str]:
    """The targets missed, e.g. "recall@k 0.72 < 0.8". A figure that cannot be computed (no
    planted location; neither risk nor ABC counting found anything: 0/0) misses its target."""
    missed = []
    for label, value, target in (
        ("recall@k", recall_at_k, TARGET_RECALL_AT_K),
        ("risk-ranked yield ÷ ABC", yield_vs_abc, TARGET_YIELD_RATIO),
    ):
        if value is None or math.isnan(value) or value < target:
            shown = "n/a" if value is None or math.isnan(value) else f"{value:.2f}"
            missed.append(f"{label} {shown} < {target}")
    return missed
