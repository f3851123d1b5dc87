"""End to end on the simulator's `tiny` scenario: the whole pipeline as `omnistock run` runs it.

One module-scoped run (it costs a dbt build); each test asserts one part of the outcome against
the simulator's ground truth or against values recomputed from the raw files.
"""

from __future__ import annotations

import json

import duckdb
import pytest

import simulator
from omnistock.cli import run_pipeline
from omnistock.config import get_settings
from omnistock.runtime import prepare_dagster_home


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    home = tmp_path_factory.mktemp("pipeline") / "omnistock"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OMNISTOCK_HOME", str(home))
        env.setenv("OMNISTOCK_LANDING_DIR", str(home / "landing"))
        env.setenv("OMNISTOCK_WAREHOUSE", str(home / "warehouse.duckdb"))
        env.setenv("DAGSTER_HOME", str(home / "dagster_home"))
        settings = prepare_dagster_home(get_settings())
        summary = simulator.simulate(simulator.get_scenario("tiny", seed=7), settings.landing_dir)
        result = run_pipeline(settings)
        truth = json.loads(summary.ground_truth_path.read_text())
        yield settings, result, truth


def _query(settings, sql: str, params=None):
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_record_is_accounted_for_against_ground_truth(pipeline):
    settings, _, truth = pipeline
    [(stored,)] = _query(settings, "select count(*) from raw.inventory_events")
    [(duplicates,)] = _query(settings, "select count(*) from raw.duplicate_events")
    quarantined = dict(
        _query(settings, "select reason, count(*) from raw.quarantined_events group by reason")
    )
    assert stored == truth["events_total"]
    assert duplicates == truth["exact_duplicates"]
    assert quarantined == truth["bad_records"]
    assert stored + duplicates + sum(quarantined.values()) == truth["records_total"]


def test_ingestion_checks_pass_and_metadata_is_recorded(pipeline):
    _, result, truth = pipeline
    checks = {
        evaluation.check_name: evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    for name in ("accounting_identity", "unique_event_ids", "quarantine_rate_by_source"):
        assert checks[name] is True, name
    [quarantine] = [
        m for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["raw", "quarantined_events"]
    ]
    by_reason = quarantine.materialization.metadata["by_reason"].value
    assert {r.data["reason"]: r.data["records"] for r in by_reason.records} == truth["bad_records"]


def test_every_spec_kpi_lands_in_kpi_daily(pipeline):
    settings, _, _ = pipeline
    names = {row[0] for row in _query(settings, "select distinct kpi_name from marts.kpi_daily")}
    expected = {
        "reservation_latency_p50_s", "reservation_latency_p95_s", "reservation_failure_rate",
        "order_exception_rate", "oversell_incidents", "transfer_accuracy",
        "transfer_cycle_time_p50_h", "transfer_cycle_time_p95_h",
        "returns_disposition_time_p50_h", "returns_disposition_time_p95_h",
        "reconciliation_time_p50_h", "reconciliation_time_p95_h", "unreconciled_events",
        "stockout_rate", "negative_stock_positions", "inventory_record_accuracy",
        "supplier_on_time_rate", "source_delivery_lag_p95_min", "api_failure_rate",
        "integration_disruptions", "disruption_recovery_time_min",
    }  # fmt: skip
    assert expected <= names


def test_short_shipping_dc_has_lower_transfer_accuracy(pipeline):
    settings, _, truth = pipeline
    dc = truth["faults"]["short_shipping_dc"]
    rows = dict(
        _query(
            settings,
            """
            select dimension_value = ?, sum(numerator) / sum(denominator)
            from marts.kpi_daily
            where kpi_name = 'transfer_accuracy' and dimension = 'origin'
            group by 1
            """,
            [dc],
        )
    )
    assert rows[True] < rows[False]


def test_the_run_is_recorded_in_the_dagster_home(pipeline):
    settings, result, _ = pipeline
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.is_success
    assert (settings.dagster_home / "dagster.yaml").exists()
