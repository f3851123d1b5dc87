"""The dbt models as Dagster assets, built with one ``dbt build`` (models, data tests as asset
checks, and unit tests when the project changed since they last passed), and the headline
KPIs attached to ``marts/kpi_daily``.

The dbt target is the engine (``OMNISTOCK_ENGINE``, resources.py). After a build on the local
Spark session the models' tables are copied back into the DuckDB warehouse once dbt has exited
(spark.py), so everything downstream reads them where it always does.

Headline KPIs: the kpi_daily materialization is held back until dbt has exited (DuckDB
allows one writer per file, so the tables can only be read once dbt let go of them); it is
then emitted with the catalog's headline KPIs over the current standard period of
``marts.kpi_period`` (the last complete days up to the data horizon, as dbt aggregated them;
the same rows the ``omnistock`` summary prints) as a Markdown table plus one float per
headline KPI (which Dagster plots across materializations), so a late out-of-band file
cannot swap in a near-empty day.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets

from omnistock.config import export_environment
from omnistock.kpis import format_quantity, headline_kpis
from omnistock.warehouse import connect

from .project import get_dbt_project, keep_partial_parse, project_fingerprint
from .spark import SESSION_TARGET, serve_spark_tables
from .translator import OmnistockDbtTranslator

KPI_DAILY_KEY = dg.AssetKey(["marts", "kpi_daily"])

KPI_PERIOD_KEY = dg.AssetKey(["marts", "kpi_period"])


class DbtBuildConfig(dg.Config):
    full_refresh: bool | None = None
    """Rebuild the incremental models from scratch (their data tests then read every row).
    Default: when the dbt project changed since this warehouse was last built (or it was never
    built here): rows an older version of a model wrote would otherwise stay as that version
    computed them, and a changed column would stop the build."""
    full_tests: bool = False
    """Run the data tests of the incremental models on every row, not only on the rows this
    build wrote (macros/test_slices.sql); the weekly schedule `full_data_tests` sets it."""
    unit_tests: bool | None = None
    """Run dbt unit tests before the models they test. Default: only when the dbt project
    changed since they last passed (their inputs are fixed rows: the same models give the
    same verdict on every run); `make test` and CI run them on every change."""


UNIT_TESTS_STAMP = "unit_tests.passed"  # the project fingerprint they last passed on


def _due(setting: bool | None, stamp: Path, fingerprint: str) -> bool:
    """The config's explicit choice, else: the stamp does not hold this project fingerprint."""
    if setting is not None:
        return setting
    return not (stamp.exists() and stamp.read_text().strip() == fingerprint)


def unit_tests_due(config: DbtBuildConfig, fingerprint: str, target_dir: Path) -> bool:
    return _due(config.unit_tests, target_dir / UNIT_TESTS_STAMP, fingerprint)


def built_with_stamp(warehouse: Path) -> Path:
    """Beside the warehouse: the project fingerprint its models were last built with."""
    return warehouse.with_name(f"{warehouse.name}.dbt-project")


def full_refresh_due(config: DbtBuildConfig, fingerprint: str, warehouse: Path) -> bool:
    return _due(config.full_refresh, built_with_stamp(warehouse), fingerprint)


def every_model_built(run_results: dict[str, Any]) -> bool:
    """No model or seed of the build failed or was skipped (run_results.json)."""
    results = run_results.get("results") or []
    return bool(results) and all(
        result["status"] == "success"
        for result in results
        if result["unique_id"].startswith(("model.", "seed."))
    )


def dbt_build_args(
    config: DbtBuildConfig, run_unit_tests: bool = True, full_refresh: bool = False
) -> list[str]:
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if not run_unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if config.full_tests:
        args += ["--vars", "{full_tests: true}"]
    return args


def read_headline_kpis(warehouse: Path) -> dict[str, Any]:
    """Metadata for kpi_daily: the headline KPIs over the current period of kpi_period (empty
    if unreadable)."""
    try:
        with connect(warehouse, read_only=True) as con:
            kpis = headline_kpis(con)
    except duckdb.Error as error:
        dg.get_dagster_logger().warning(f"headline KPIs not read from {warehouse}: {error}")
        return {}
    if not kpis:
        return {}
    period = f"{kpis[0].period_start} to {kpis[0].period_end}"
    table = ["| KPI | name | this period | previous period |", "|---|---|---:|---:|"]
    table += [
        f"| {kpi.label} | {kpi.name} | {format_quantity(kpi.unit, kpi.value)} "
        f"| {format_quantity(kpi.unit, kpi.previous)} |"
        for kpi in kpis
    ]
    metadata: dict[str, Any] = {
        "kpi_period": dg.MetadataValue.text(period),
        "headline_kpis": dg.MetadataValue.md(f"**{period}**, overall\n\n" + "\n".join(table)),
    }
    for kpi in kpis:
        if kpi.value is not None:
            metadata[kpi.name] = dg.MetadataValue.float(float(kpi.value))
    return metadata


def _downstream_of(assets_def: dg.AssetsDefinition, key: dg.AssetKey) -> set[dg.AssetKey]:
    """`key` and every asset of `assets_def` that depends on it, directly or not."""
    found, grown = {key}, True
    while grown:
        grown = False
        for asset, deps in assets_def.asset_deps.items():
            if asset not in found and deps & found:
                found.add(asset)
                grown = True
    return found


def _concerns(event: Any, keys: set[dg.AssetKey], outputs: set[str]) -> bool:
    """A materialization or asset-check result of one of `keys` (held back together)."""
    if isinstance(event, dg.Output):
        return event.output_name in outputs
    if isinstance(event, dg.AssetMaterialization | dg.AssetCheckResult | dg.AssetCheckEvaluation):
        return event.asset_key in keys
    return False


@dbt_assets(
    manifest=get_dbt_project().manifest_path,
    project=get_dbt_project(),
    dagster_dbt_translator=OmnistockDbtTranslator(),
)
def omnistock_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
) -> Iterator[Any]:
    settings = export_environment()  # profiles.yml reads OMNISTOCK_WAREHOUSE
    project = get_dbt_project()
    fingerprint = project_fingerprint(project.project_dir)
    run_unit_tests = unit_tests_due(config, fingerprint, project.manifest_path.parent)
    full_refresh = full_refresh_due(config, fingerprint, settings.warehouse)
    if full_refresh and config.full_refresh is None:
        context.log.info(
            "full refresh: the dbt project changed since this warehouse was last built"
        )
    invocation = dbt.cli(
        dbt_build_args(config, run_unit_tests, full_refresh), context=context, raise_on_error=False
    )
    # a subset run (e.g. a few models picked in the UI) may leave kpi_daily out; without
    # kpi_period its headline figures would be stale, so they are only read with both
    selected = context.selected_asset_keys
    held_keys = (
        _downstream_of(context.assets_def, KPI_DAILY_KEY) & selected
        if {KPI_DAILY_KEY, KPI_PERIOD_KEY} <= selected
        else set()
    )
    # what follows kpi_daily waits with it: a multi-asset yields in topological order
    outputs = {context.assets_def.get_output_name_for_asset_key(key) for key in held_keys}
    kpi_output = (
        context.assets_def.get_output_name_for_asset_key(KPI_DAILY_KEY) if held_keys else None
    )
    held_back = []
    for event in invocation.stream():
        if _concerns(event, held_keys, outputs):
            held_back.append(event)
        else:
            yield event
    # dbt has exited: the warehouse is free to read
    if dbt.target == SESSION_TARGET:
        # the rest of the platform reads DuckDB: copy back what the local Spark session built
        served = serve_spark_tables(settings)
        context.log.info(f"copied {len(served)} Spark tables into {settings.warehouse}")
    headline = read_headline_kpis(settings.warehouse) if held_back else {}
    for event in held_back:
        is_kpi_daily = (
            isinstance(event, dg.Output)
            and event.output_name == kpi_output
            or isinstance(event, dg.AssetMaterialization)
            and event.asset_key == KPI_DAILY_KEY
        )
        if headline and is_kpi_daily:
            event = event.with_metadata({**event.metadata, **headline})
        yield event
    keep_partial_parse(invocation.target_path, project)
    error = invocation.get_error()
    try:
        run_results = invocation.get_artifact("run_results.json")
    except FileNotFoundError:  # dbt stopped before building anything
        run_results = {}
    if not context.is_subset and every_model_built(run_results):
        # every model is now as this project builds it (a failed data test does not undo that)
        built_with_stamp(settings.warehouse).write_text(fingerprint + "\n")
    if error is not None:
        raise error
    if run_unit_tests and not context.is_subset:
        (project.manifest_path.parent / UNIT_TESTS_STAMP).write_text(fingerprint + "\n")
