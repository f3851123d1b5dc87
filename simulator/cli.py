"""`python -m simulator`: write a scenario's landing folder, or answer cycle-count requests."""

from __future__ import annotations

import argparse
import json

from .config import SCENARIOS, get_scenario
from .engine import simulate
from .outbox import respond_to_outbox


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--scenario", default="reference", choices=sorted(SCENARIOS))
    parser.add_argument("--seed", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--stores", type=int)
    parser.add_argument("--dcs", type=int)
    parser.add_argument("--skus", type=int)
    parser.add_argument("--start-date", help="first simulated day, YYYY-MM-DD")
    parser.add_argument("--out", default="landing", help="landing folder to write")
    parser.add_argument(
        "--respond-to-outbox",
        metavar="OUTBOX",
        help="answer the cycle-count requests in OUTBOX instead of simulating",
    )
    parser.add_argument("--responded-at", help="ISO-8601 time of the counts (default: clock)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.respond_to_outbox:
        answered = respond_to_outbox(args.out, args.respond_to_outbox, args.responded_at)
        print(json.dumps({"answered": answered}))
        return 0
    config = get_scenario(
        args.scenario,
        seed=args.seed,
        days=args.days,
        stores=args.stores,
        dcs=args.dcs,
        skus=args.skus,
        start_date=args.start_date,
    )
    summary = simulate(config, args.out)
    print(
        json.dumps(
            {
                "scenario": summary.scenario,
                "out_dir": str(summary.out_dir),
                "seconds": summary.seconds,
                "events": summary.events_total,
                "records": summary.records_total,
                "files": summary.files_written,
                "bad_records": summary.bad_records_by_reason,
                "exact_duplicates": summary.exact_duplicates,
                "ground_truth": str(summary.ground_truth_path),
            },
            indent=2,
        )
    )
    return 0
