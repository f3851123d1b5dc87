"""Figures for docs/model-card.md: the shipped pipeline on the reference scenario, three seeds.

    .venv/bin/python benchmarks/model_card.py [--seeds 42 7 2026] [--scenario reference]

For each seed: simulate into a fresh OMNISTOCK_HOME, run the whole Dagster pipeline exactly as
`omnistock run` does, and read the `risk_model_evaluation` materialization (precision/recall@k,
ROC AUC, counting yield per policy on one count budget). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path


def evaluate_seed(scenario: str, seed: int, home: Path) -> dict:
    os.environ.update(
        OMNISTOCK_HOME=str(home),
        OMNISTOCK_LANDING_DIR=str(home / "landing"),
        OMNISTOCK_WAREHOUSE=str(home / "warehouse.duckdb"),
        DAGSTER_HOME=str(home / "dagster_home"),
    )
    import simulator
    from omnistock.cli import run_pipeline
    from omnistock.config import get_settings
    from omnistock.runtime import prepare_dagster_home

    settings = prepare_dagster_home(get_settings())
    simulator.simulate(simulator.get_scenario(scenario, seed=seed), settings.landing_dir)
    result = run_pipeline(settings)
    [event] = [
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["risk_model_evaluation"]
    ]
    return event.materialization.metadata["report"].value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="reference")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 2026])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            report = evaluate_seed(args.scenario, seed, Path(scratch) / f"seed-{seed}")
            detection = report["detection"]
            yields = {row["policy"]: row for row in report["counting"]}
            rows.append(
                f"| {seed} | {detection['k']} | {detection['precision_at_k']:.2f} "
                f"| {detection['recall_at_k']:.2f} | {detection['roc_auc']:.3f} "
                f"| {yields['risk_ranked']['counts']} "
                f"| {yields['risk_ranked']['yield']:.3f} | {yields['abc_frequency']['yield']:.3f} "
                f"| {yields['random']['yield']:.3f} | {yields['risk_ranked']['yield_vs_abc']:.1f}x |"
            )
            print(rows[-1], flush=True)
    print(
        "| seed | k | precision@k | recall@k | ROC AUC | count budget | yield risk-ranked "
        "| yield ABC | yield random | risk ÷ ABC |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
