"""Figures for docs/model-card.md: what `make demo` ends with, on the reference scenario.

    .venv/bin/python benchmarks/model_card.py [--seeds 42 7 2026] [--scenario reference]
                                              [--write docs/model-card.md] [--keep DIR]

For each seed, in a fresh OMNISTOCK_HOME, exactly what `omnistock demo` does: simulate, run
the pipeline, let the stores answer the cycle-count requests, run the pipeline again. The
figures are the evaluation of the final model version on the state it scored, computed by
`ml.model_evaluations.evaluate_scored_version` (the function the `risk_model_evaluation` asset
calls) from the version's frozen state, and checked equal to what the asset kept. Prints the
markdown; `--write` puts it between the figure markers of the card.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import tempfile
from pathlib import Path

START_MARKER = "<!-- model-card-figures:start -->"
END_MARKER = "<!-- model-card-figures:end -->"
HEADER = (
    "| seed | k | precision@k | recall@k | ROC AUC | count budget | yield risk-ranked "
    "| yield ABC | yield random | risk ÷ ABC |\n|---|---|---|---|---|---|---|---|---|---|"
)


def home_settings(home: Path):
    """The settings of an Omnistock home (made the environment's, as `omnistock` does)."""
    os.environ.update(
        OMNISTOCK_HOME=str(home),
        OMNISTOCK_LANDING_DIR=str(home / "landing"),
        OMNISTOCK_WAREHOUSE=str(home / "warehouse.duckdb"),
        DAGSTER_HOME=str(home / "dagster_home"),
    )
    from omnistock.app.runtime import prepare_dagster_home
    from omnistock.config import get_settings

    return prepare_dagster_home(get_settings())


def run_demo(scenario: str, seed: int, home: Path):
    """`omnistock demo` in `home`: simulate, run, answer the outbox, run again."""
    import simulator
    from omnistock.app.pipeline import run_pipeline

    settings = home_settings(home)
    simulator.simulate(simulator.get_scenario(scenario, seed=seed), settings.landing_dir)
    run_pipeline(settings)
    simulator.respond_to_outbox(settings.landing_dir, settings.cycle_count_outbox)
    run_pipeline(settings)
    return settings


def _same(first: dict, second: dict) -> bool:
    return json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def card_evaluation(settings) -> dict:
    """The evaluation of the model version the warehouse's location_risk holds, recomputed on
    its frozen state; raises if it differs from the one the asset kept for the version."""
    import duckdb

    from ml import evaluation, model_evaluations

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        version = model_evaluations.current_model_version(con)
        if version is None:
            raise SystemExit(f"{settings.warehouse}: location_risk names no model version")
        report = model_evaluations.evaluate_scored_version(
            model_evaluations.load_scored_version(con, version),
            evaluation.load_ground_truth(settings.landing_dir),
            model_evaluations.load_skus(con),
        )
        kept = model_evaluations.stored_evaluation(con, version)
    if kept is None or not _same(kept.report, json.loads(json.dumps(report, default=str))):
        raise SystemExit(f"model version {version}: the kept evaluation differs from the card's")
    return report


def _known(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _number(value: float | None, spec: str, unit: str = "") -> str:
    return format(value, spec) + unit if _known(value) else "n/a"


def card_row(seed: int | str, report: dict) -> str:
    detection = report["detection"]
    yields = {row["policy"]: row for row in report["counting"]}
    risk, abc, random = yields["risk_ranked"], yields["abc_frequency"], yields["random"]
    cells = [
        seed,
        detection["k"],
        _number(detection["precision_at_k"], ".2f"),
        _number(detection["recall_at_k"], ".2f"),
        _number(detection["roc_auc"], ".3f"),
        risk["counts"],
        *(_number(row["yield"], ".3f") for row in (risk, abc, random)),
        _number(risk["yield_vs_abc"], ".1f", "x"),
    ]
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _targets_sentence(reports: list[dict]) -> str:
    from ml import evaluation

    def summary(values: list[float], target: float, fmt: str, unit: str = "") -> str:
        known = [v for v in values if _known(v)]
        met = sum(1 for v in known if v >= target)
        spread = f"{min(known):{fmt}}–{max(known):{fmt}}{unit}" if known else "n/a"
        verdict = "met on every seed" if met == len(values) else f"met on {met} of {len(values)}"
        return f"{verdict} ({spread})"

    recalls = [r["detection"]["recall_at_k"] for r in reports]
    ratios = [
        next(row["yield_vs_abc"] for row in r["counting"] if row["policy"] == "risk_ranked")
        for r in reports
    ]
    return (
        f"Targets: recall@k ≥ {evaluation.TARGET_RECALL_AT_K} — "
        f"{summary(recalls, evaluation.TARGET_RECALL_AT_K, '.2f')}; risk-ranked counting finds "
        f"≥ {evaluation.TARGET_YIELD_RATIO:g}x as many inaccurate records per count as "
        f"ABC-frequency counting — {summary(ratios, evaluation.TARGET_YIELD_RATIO, '.1f', 'x')}."
    )


def figures_markdown(scenario: str, results: list[tuple[int, dict]], default_seed: int) -> str:
    rows = [
        card_row(f"{seed} ({scenario} default)" if seed == default_seed else seed, report)
        for seed, report in results
    ]
    return "\n".join([HEADER, *rows, "", _targets_sentence([r for _, r in results])])


def write_card(card: Path, figures: str) -> None:
    text = card.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START_MARKER) + ".*?" + re.escape(END_MARKER), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{card}: no {START_MARKER} … {END_MARKER} section")
    block = f"{START_MARKER}\n{figures}\n{END_MARKER}"
    card.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", default="reference")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 2026])
    parser.add_argument("--write", type=Path, help="the model card to update (its figures)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep each seed's home in KEEP/seed-<seed>; a seed whose home is there already "
        "(a finished demo) is evaluated from it, not run again",
    )
    args = parser.parse_args()
    import simulator

    default_seed = simulator.get_scenario(args.scenario).seed
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            home = Path(args.keep or scratch) / f"seed-{seed}"
            if args.keep and (home / "warehouse.duckdb").exists():
                settings = home_settings(home)
            else:
                settings = run_demo(args.scenario, seed, home)
            results.append((seed, card_evaluation(settings)))
            print(card_row(seed, results[-1][1]), flush=True)
    figures = figures_markdown(args.scenario, results, default_seed)
    print(figures)
    if args.write:
        write_card(args.write, figures)


if __name__ == "__main__":
    main()
