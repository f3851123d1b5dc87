"""The `omnistock` command: simulate, run, demo, ui, summary, export-ocel, import-ocel."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from omnistock.app.pipeline import run_pipeline
from omnistock.config import Settings, get_settings


def _settings() -> Settings:
    """The settings, with the Dagster home prepared and freed of runs whose process died (a
    killed run would otherwise hold the warehouse pool slot and block every later run)."""
    from dagster import DagsterInstance

    from omnistock.app.runtime import prepare_dagster_home

    settings = prepare_dagster_home(get_settings())
    with DagsterInstance.get() as instance:
        _recover(instance)
    return settings


def _recover(instance) -> None:
    from omnistock.app.recovery import recover_stale_runs

    for recovered in recover_stale_runs(instance):
        print(recovered.describe(), file=sys.stderr)


def cmd_simulate(args: argparse.Namespace) -> int:
    import simulator

    settings = get_settings()
    out = Path(args.out).resolve() if args.out else settings.landing_dir
    if args.respond_to_outbox:
        answered = simulator.respond_to_outbox(out, settings.cycle_count_outbox)
        print(f"Answered {len(answered)} cycle-count request(s) into {out}")
        return 0
    overrides = {
        name: value
        for name, value in {
            "seed": args.seed,
            "days": args.days,
            "stores": args.stores,
            "skus": args.skus,
            "start_date": date.fromisoformat(args.start_date) if args.start_date else None,
        }.items()
        if value is not None
    }
    config = simulator.get_scenario(args.scenario, **overrides)
    summary = simulator.simulate(config, out)
    print(f"Simulated scenario '{config.name}' (seed {config.seed}) into {out}")
    print(summary.describe())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from omnistock.app.runtime import prepare_dagster_home

    settings = prepare_dagster_home(get_settings())
    # one instance for the recovery and the run: opening one costs a few checks of its storage
    with DagsterInstance.get() as instance:
        _recover(instance)
        if not any(settings.landing_dir.glob("reference/*.csv")):
            print(
                f"No reference data in {settings.landing_dir}: run `omnistock simulate` first "
                "or point OMNISTOCK_LANDING_DIR at your own landing folder.",
                file=sys.stderr,
            )
            return 2
        result = run_pipeline(settings, args.job, instance=instance, full_refresh=args.full_refresh)
    print(f"Run {result.run_id} succeeded.")
    from omnistock.app.summary import print_summary

    print_summary(settings)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import simulator

    settings = _settings()
    if not (settings.landing_dir / "reference" / "locations.csv").exists():
        config = simulator.get_scenario(args.scenario, seed=args.seed)
        print(f"Simulating the '{config.name}' scenario into {settings.landing_dir} …")
        print(simulator.simulate(config, settings.landing_dir).describe())
    print("Running the pipeline …")
    run_pipeline(settings)
    # Close the loop once: stores count what was requested, the counts land as new files.
    answered = simulator.respond_to_outbox(settings.landing_dir, settings.cycle_count_outbox)
    print(f"Stores answered {len(answered)} cycle-count request(s); running the pipeline again …")
    run_pipeline(settings)
    from omnistock.app.summary import print_summary

    print_summary(settings)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from omnistock.app.summary import print_summary

    print_summary(get_settings())
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from omnistock.app.serve import serve_ui

    return serve_ui(_settings(), host=args.host, dagster_port=args.port, dash_port=args.dash_port)


def cmd_export_ocel(args: argparse.Namespace) -> int:
    from omnistock.ocel import export_ocel

    settings = get_settings()
    if not settings.warehouse.exists():
        print(f"No warehouse at {settings.warehouse}: run `omnistock run` first.", file=sys.stderr)
        return 2
    print(export_ocel(settings.warehouse, Path(args.out)).describe())
    return 0


def cmd_import_ocel(args: argparse.Namespace) -> int:
    from omnistock.ocel import describe_log, import_ocel
    from omnistock.warehouse import connect

    settings = get_settings()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with connect(settings.warehouse) as con:
        report = import_ocel(
            con,
            Path(args.file),
            args.case_type,
            args.name,
            sla_hours=args.sla_hours,
            terminal_activities=args.terminal or (),
        )
        print(report.describe())
        print(describe_log(con, report.name))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="omnistock", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="write a simulated retailer's landing files")
    simulate.add_argument("--scenario", default="reference", help="tiny | reference | large")
    simulate.add_argument("--seed", type=int)
    simulate.add_argument("--days", type=int)
    simulate.add_argument("--stores", type=int)
    simulate.add_argument("--skus", type=int)
    simulate.add_argument("--start-date", help="YYYY-MM-DD")
    simulate.add_argument("--out", help="landing folder (default: the configured landing dir)")
    simulate.add_argument(
        "--respond-to-outbox",
        action="store_true",
        help="answer open cycle-count requests with counts in a new landing batch",
    )
    simulate.set_defaults(func=cmd_simulate)

    run = commands.add_parser("run", help="materialize every asset headless")
    run.add_argument("--job", help="a job name (default: the whole pipeline)")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild dbt's incremental models from scratch (automatic when the models changed)",
    )
    run.set_defaults(func=cmd_run)

    demo = commands.add_parser("demo", help="simulate the reference scenario and run everything")
    demo.add_argument("--scenario", default="reference")
    demo.add_argument("--seed", type=int, default=42)
    demo.set_defaults(func=cmd_demo)

    summary = commands.add_parser("summary", help="print what the warehouse holds")
    summary.set_defaults(func=cmd_summary)

    export_ocel = commands.add_parser(
        "export-ocel", help="write the event store as an OCEL 2.0 log (.sqlite or .json)"
    )
    export_ocel.add_argument("--out", required=True, help="FILE.sqlite or FILE.json")
    export_ocel.set_defaults(func=cmd_export_ocel)

    import_ocel = commands.add_parser(
        "import-ocel", help="load an OCEL 2.0 log into its own warehouse schema ocel_<name>"
    )
    import_ocel.add_argument("file", help="an OCEL 2.0 SQLite or JSON file")
    import_ocel.add_argument("--case-type", required=True, help="the object type that is the case")
    import_ocel.add_argument("--name", help="log name (default: the file name)")
    import_ocel.add_argument(
        "--terminal", action="append", help="an activity that closes a case (repeatable)"
    )
    import_ocel.add_argument("--sla-hours", type=float, default=72.0, help="stalled after (h)")
    import_ocel.set_defaults(func=cmd_import_ocel)

    ui = commands.add_parser("ui", help="serve the Dagster UI and the dashboards")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--dash-port", type=int, default=8050)
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
