"""The dbt models as Dagster assets, built with one ``dbt build`` (models, data tests as asset
checks, unit tests), and the headline KPIs attached to ``marts/kpi_daily``.

The dbt target is the engine (``OMNISTOCK_ENGINE``, resources.py). On Spark the models' tables
are copied back into the DuckDB warehouse once dbt has exited (omnistock.engines), so
everything downstream reads them where it always does.

Headline KPIs: the kpi_daily materialization is held back until dbt has exited (DuckDB
allows one writer per file, so the table can only be read once dbt let go of it); it is then
emitted with the overall KPI rows of the latest complete day (``is_complete``: on or before
the data horizon's day) as a Markdown table plus one float per headline KPI (which Dagster
plots across materializations), so a late out-of-band file cannot swap in a near-empty day.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets

from omnistock.config import export_environment
from omnistock.engines import serve_spark_tables

from .project import get_dbt_project
from .translator import OmnistockDbtTranslator

KPI_DAILY_KEY = dg.AssetKey(["marts", "kpi_daily"])

# Plotted as numbers on every kpi_daily materialization.
HEADLINE_KPIS = (
    "order_exception_rate",
    "reservation_latency_p95_s",
    "reservation_failure_rate",
    "oversell_incidents",
    "transfer_accuracy",
    "stockout_rate",
    "inventory_record_accuracy",
    "unreconciled_events",
    "api_failure_rate",
)


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False
    """Rebuild incremental models (stg_inventory_events, the stock ledger) from scratch."""
    unit_tests: bool = True
    """Run dbt unit tests before the models they test (skip only to save time)."""


def dbt_build_args(config: DbtBuildConfig) -> list[str]:
    args = ["build"]
    if config.full_refresh:
        args.append("--full-refresh")
    if not config.unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    return args


def read_headline_kpis(warehouse: Path) -> dict[str, Any]:
    """Metadata for kpi_daily: the overall KPI rows of the latest complete day (empty if
    unreadable)."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                """
                select kpi_date, kpi_name, value, numerator, denominator
                from marts.kpi_daily
                where dimension = 'all'
                    and kpi_date = (
                        select max(kpi_date) from marts.kpi_daily where is_complete
                    )
                order by kpi_name
                """
            ).fetchall()
    except duckdb.Error as error:
        dg.get_dagster_logger().warning(f"headline KPIs not read from {warehouse}: {error}")
        return {}
    if not rows:
        return {}

    def fmt(number: float | None) -> str:
        return "–" if number is None else f"{number:,.4g}"

    table = ["| KPI | value | numerator | denominator |", "|---|---:|---:|---:|"]
    table += [f"| {name} | {fmt(v)} | {fmt(n)} | {fmt(d)} |" for _, name, v, n, d in rows]
    latest_day = rows[0][0]
    metadata: dict[str, Any] = {
        "kpi_date": dg.MetadataValue.text(latest_day.isoformat()),
        "headline_kpis": dg.MetadataValue.md(f"**{latest_day}**, overall\n\n" + "\n".join(table)),
    }
    for _, name, value, _, _ in rows:
        if name in HEADLINE_KPIS and value is not None:
            metadata[name] = dg.MetadataValue.float(float(value))
    return metadata


def _concerns_kpi_daily(event: Any, kpi_output: str | None) -> bool:
    """kpi_daily's materialization and its asset-check results (held back together)."""
    if isinstance(event, dg.Output):
        return event.output_name == kpi_output
    if isinstance(event, dg.AssetMaterialization | dg.AssetCheckResult | dg.AssetCheckEvaluation):
        return event.asset_key == KPI_DAILY_KEY
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
    invocation = dbt.cli(dbt_build_args(config), context=context, raise_on_error=False)
    # a subset run (e.g. a few models picked in the UI) may leave kpi_daily out
    kpi_output = (
        context.assets_def.get_output_name_for_asset_key(KPI_DAILY_KEY)
        if KPI_DAILY_KEY in context.selected_asset_keys
        else None
    )
    held_back = []
    for event in invocation.stream():
        if _concerns_kpi_daily(event, kpi_output):
            held_back.append(event)
        else:
            yield event
    # dbt has exited: the warehouse is free to read
    if dbt.target == "spark":
        # the rest of the platform reads DuckDB: copy back what the local Spark session built
        served = serve_spark_tables(settings)
        context.log.info(f"copied {len(served)} Spark tables into {settings.warehouse}")
    headline = read_headline_kpis(settings.warehouse) if held_back else {}
    for event in held_back:
        if headline and isinstance(event, dg.Output | dg.AssetMaterialization):
            event = event.with_metadata({**event.metadata, **headline})
        yield event
    error = invocation.get_error()
    if error is not None:
        raise error
