"""End to end on the simulator's `tiny` scenario: the whole pipeline as `omnistock run` runs it.

One module-scoped run (it costs a dbt build); each test asserts one part of the outcome against
the simulator's ground truth or against values recomputed from the raw files.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from homes import isolated_home

import simulator
from ml import evaluation, model_evaluations
from omnistock.app.pipeline import run_pipeline
from orchestration.policy import deployed_policy


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    home = tmp_path_factory.mktemp("pipeline") / "omnistock"
    with isolated_home(home) as settings:
        summary = simulator.simulate(simulator.get_scenario("tiny", seed=7), settings.landing_dir)
        result = run_pipeline(settings)
        truth = json.loads(summary.ground_truth_path.read_text())
        before_loop = _snapshot(settings)
        # Close the loop: the stores answer the outbox, the next run ingests their counts.
        answered = simulator.respond_to_outbox(settings.landing_dir, settings.cycle_count_outbox)
        loop_result = run_pipeline(settings)
        yield Pipeline(settings, result, truth, before_loop, answered, loop_result)


@dataclass
class Pipeline:
    settings: object
    result: object
    truth: dict
    before_loop: dict
    answered: list
    loop_result: object


def _snapshot(settings) -> dict:
    return {
        "stored": _query(settings, "select count(*) from raw.inventory_events")[0][0],
        "duplicates": _query(settings, "select count(*) from raw.duplicate_events")[0][0],
        "quarantined": dict(
            _query(settings, "select reason, count(*) from raw.quarantined_events group by 1")
        ),
        "requests": _query(
            settings, "select request_id, location_id, status from actions.cycle_count_requests"
        ),
        "counts": _query(settings, "select count(*) from marts.fct_cycle_counts")[0][0],
        "clock": _clock(settings),
        "evaluations": _query(settings, "select * from intelligence.risk_model_evaluations"),
        "scored": _query(settings, "select * from intelligence.risk_model_scores order by all"),
    }


def _clock(settings) -> dict:
    """The data horizon, the regular feeds' watermarks and what is measured up to the horizon."""
    [(horizon_at, horizon_date)] = _query(
        settings, "select horizon_at, horizon_date from intermediate.int_data_horizon"
    )
    return {
        "horizon": (horizon_at, horizon_date),
        "watermarks": dict(
            _query(
                settings,
                "select source_system, watermark_at from intermediate.int_source_watermarks "
                "where is_regular_feed",
            )
        ),
        "kpis": _query(
            settings,
            # less the watermark: a build may rewrite a day with the same values
            "select * exclude (ingested_through) from marts.kpi_daily "
            "where kpi_date <= ? order by all",
            [horizon_date],
        ),
        "exceptions": _query(settings, "select * from marts.exception_queue order by all"),
        "stalled": _query(settings, "select * from marts.stalled_cases order by all"),
    }


def _query(settings, sql: str, params=None):
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_record_is_accounted_for_against_ground_truth(pipeline):
    truth = pipeline.truth
    stored = pipeline.before_loop["stored"]
    duplicates = pipeline.before_loop["duplicates"]
    quarantined = pipeline.before_loop["quarantined"]
    assert stored == truth["events_total"]
    assert duplicates == truth["exact_duplicates"]
    assert quarantined == truth["bad_records"]
    assert stored + duplicates + sum(quarantined.values()) == truth["records_total"]


def test_ingestion_checks_pass_and_metadata_is_recorded(pipeline):
    result, truth = pipeline.result, pipeline.truth
    checks = {
        evaluation.check_name: evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    for name in ("accounting_identity", "unique_event_ids", "quarantine_rate_by_source"):
        assert checks[name] is True, name
    [quarantine] = [
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["raw", "quarantined_events"]
    ]
    by_reason = quarantine.materialization.metadata["by_reason"].value
    assert {r.data["reason"]: r.data["records"] for r in by_reason.records} == truth["bad_records"]


def test_every_spec_kpi_lands_in_kpi_daily(pipeline):
    settings = pipeline.settings
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
    settings, truth = pipeline.settings, pipeline.truth
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
    settings, result = pipeline.settings, pipeline.result
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.is_success
    assert (settings.dagster_home / "dagster.yaml").exists()


def _materialization(result, *path):
    [event] = [
        m for m in result.get_asset_materialization_events() if m.asset_key.path == list(path)
    ]
    return event.materialization.metadata


def test_planted_shrink_store_ranks_in_the_top_k(pipeline):
    settings, truth = pipeline.settings, pipeline.truth
    planted = [item["location_id"] for item in truth["anomalous_locations"]]
    ranked = [
        row[0]
        for row in _query(
            settings, "select location_id from intelligence.location_risk order by risk_rank"
        )
    ]
    for shrink_store in truth["faults"]["shrink_stores"]:
        assert ranked.index(shrink_store) < len(planted)


def test_the_tools_output_goes_to_the_log_file_not_the_console(pipeline):
    log = (pipeline.settings.home / "logs" / "pipeline.log").read_text()
    assert log.count("Finished running") == 2  # dbt's own summary, once per run


def test_risk_metadata_and_evaluation_are_in_dagster(pipeline):
    risk = _materialization(pipeline.result, "location_risk")
    assert risk["model_version"].value
    assert "location_id" in risk["risk_top10"].value
    evaluation = _materialization(pipeline.result, "risk_model_evaluation")
    assert 0 <= evaluation["recall_at_k"].value <= 1
    assert evaluation["k"].value == len(pipeline.truth["anomalous_locations"])
    assert "abc_frequency" in evaluation["counting_yield"].value
    # evaluated at the deployed policy's threshold, the one the sensor and requests use
    assert evaluation["risk_threshold"].value == deployed_policy().policy().risk_threshold
    assert evaluation["model_version"].value == risk["model_version"].value
    # the targets check (WARN) judges the same evaluation
    [check] = [
        e
        for e in pipeline.result.get_asset_check_evaluations()
        if e.check_name == "evaluation_targets_met"
    ]
    assert check.severity.value == "WARN"
    assert check.passed is evaluation["targets_met"].value
    assert check.metadata["missed"].value == evaluation["missed_targets"].value


def test_a_versions_evaluation_does_not_change_after_its_counts_land(pipeline):
    """The first run's model version is evaluated on the state it scored; the counts it
    triggered land and the second run scores a version of its own, yet the first version's
    kept evaluation, and what its frozen state evaluates to now, are unchanged."""
    settings, before = pipeline.settings, pipeline.before_loop
    [first] = before["evaluations"]
    version = first[0]
    [(scored_versions,)] = _query(
        settings, "select count(distinct model_version) from intelligence.risk_model_scores"
    )
    after = _query(settings, "select * from intelligence.risk_model_evaluations order by all")
    assert scored_versions == len(after) == 2
    assert [str(row) for row in after if row[0] == version] == [str(first)]
    frozen = _query(
        settings,
        "select * from intelligence.risk_model_scores where model_version = ? order by all",
        [version],
    )
    assert frozen == [row for row in before["scored"] if row[0] == version]
    # The counts have landed (the warehouse holds them) ...
    assert pipeline.answered
    assert _query(settings, "select count(*) from marts.fct_cycle_counts")[0][0] > before["counts"]
    # ... and the first version's frozen state still evaluates to its kept figures.
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        recomputed = model_evaluations.evaluate_scored_version(
            model_evaluations.load_scored_version(con, version),
            evaluation.load_ground_truth(settings.landing_dir),
            model_evaluations.load_skus(con),
        )
        kept = model_evaluations.stored_evaluation(con, version)
    assert json.dumps(recomputed, sort_keys=True) == json.dumps(kept.report, sort_keys=True)
    assert recomputed["detection"]["k"] == len(pipeline.truth["anomalous_locations"])
    second = _materialization(pipeline.loop_result, "risk_model_evaluation")
    assert second["model_version"].value != version
    assert second["kept_evaluation"].value is False


def test_the_model_card_reports_what_the_demo_ends_with(pipeline):
    """benchmarks/model_card.py on the final warehouse gives the figures the second run's
    risk_model_evaluation reported."""
    spec = importlib.util.spec_from_file_location(
        "model_card", Path(__file__).resolve().parents[1] / "benchmarks" / "model_card.py"
    )
    card = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(card)
    report = card.card_evaluation(pipeline.settings)
    asset = _materialization(pipeline.loop_result, "risk_model_evaluation")["report"].value
    assert json.dumps(report, sort_keys=True) == json.dumps(asset, sort_keys=True)
    assert card.card_row(7, report) == card.card_row(7, asset)
    recall = asset["detection"]["recall_at_k"]
    assert card.card_row(7, report).startswith(f"| 7 | {asset['detection']['k']} |")
    assert f"| {recall:.2f} |" in card.card_row(7, report)


def test_high_risk_locations_get_requests_and_outbox_files(pipeline):
    settings = pipeline.settings
    requests = pipeline.before_loop["requests"]
    assert requests and all(status == "open" for _, _, status in requests)
    for request_id, location_id, _ in requests:
        payload = json.loads((settings.cycle_count_outbox / f"{request_id}.json").read_text())
        assert payload["location_id"] == location_id
        [(lines,)] = _query(
            settings,
            "select count(*) from actions.cycle_count_request_lines where request_id = ?",
            [request_id],
        )
        assert len(payload["skus"]) == lines > 0


def test_count_results_flow_back_through_ingestion(pipeline):
    settings = pipeline.settings
    assert sorted(pipeline.answered) == sorted(r[0] for r in pipeline.before_loop["requests"])
    after = dict(_query(settings, "select request_id, status from actions.cycle_count_requests"))
    assert all(after[request_id] == "counted" for request_id in pipeline.answered)
    [(counts,)] = _query(settings, "select count(*) from marts.fct_cycle_counts")
    [(requested_skus,)] = _query(settings, "select count(*) from actions.cycle_count_request_lines")
    assert counts - pipeline.before_loop["counts"] == requested_skus
    [(response_files,)] = _query(
        settings,
        "select count(*) from raw.ingested_files where path like '%cycle-count-response%'",
    )
    assert response_files >= 1


def test_every_regular_feed_is_fresh(pipeline):
    """One freshness check per regular feed runs in the job; on tiny none lags by 12 h."""
    for result in (pipeline.result, pipeline.loop_result):
        freshness = {
            e.check_name: e.passed
            for e in result.get_asset_check_evaluations()
            if e.check_name.endswith("_freshness")
        }
        assert len(freshness) == 7 and all(freshness.values()), freshness


def test_cycle_count_answers_do_not_move_the_horizon(pipeline):
    """The answers land as pos/wms (and ERP) files dated after the feeds: they are stored,
    yet the horizon, every regular feed's watermark and everything measured up to the
    horizon stay as they were."""
    settings = pipeline.settings
    before = pipeline.before_loop["clock"]
    [(sources, answered_from)] = _query(
        settings,
        "select list(distinct source_system order by source_system), min(occurred_at) "
        "from staging.stg_inventory_events where source_file like '%cycle-count-response%'",
    )
    assert {"pos", "wms"} & set(sources) and set(sources) <= {"pos", "wms", "erp"}
    assert answered_from > before["horizon"][0]
    after = _clock(settings)
    assert len(before["kpis"]) > 100
    for part in before:
        assert after[part] == before[part], part


def test_snapshot_and_offline_report_are_published(pipeline):
    from dashboards.snapshot import open_snapshot, read_manifest

    settings = pipeline.settings
    manifest = read_manifest(settings.snapshots_dir)
    assert manifest["missing"] == []
    con = open_snapshot(settings.snapshots_dir)
    [(risk_rows,)] = con.execute("select count(*) from location_risk").fetchall()
    [(warehouse_rows,)] = _query(settings, "select count(*) from intelligence.location_risk")
    assert risk_rows == warehouse_rows > 0
    report = _materialization(pipeline.loop_result, "planner_report")["report"].value
    html = Path(report).read_text(encoding="utf-8")
    assert '<script src="http' not in html  # plotly.js is inlined: opens offline
    assert "Plotly.newPlot" in html


def test_a_fresh_start_on_a_finished_pipeline_starts_no_run(pipeline):
    """`omnistock ui` after `make demo`: the sensors start with empty cursors. Nothing new has
    landed (the manifest knows every file) and the last risk scores were acted on by the run
    that made them, so neither sensor requests a run."""
    import dagster as dg

    from orchestration.defs.actions.sensors import cycle_count_sensor
    from orchestration.defs.ingest.sensors import landing_sensor
    from orchestration.resources import resources_for

    paths = resources_for(pipeline.settings)["paths"]
    with dg.DagsterInstance.get() as instance:
        with dg.build_sensor_context(instance=instance, resources={"paths": paths}) as context:
            landing = landing_sensor(context)
        assert landing.run_requests in (None, [])
        policy = {"policy": deployed_policy()}
        with dg.build_sensor_context(instance=instance, resources=policy) as context:
            counts = cycle_count_sensor(context)
        assert counts.run_requests in (None, [])
        assert "built the requests" in counts.skip_reason.skip_message

    # a new file is still picked up, alone
    new_file = pipeline.settings.landing_dir / "pos" / "zz-late.jsonl"
    new_file.write_text('{"event_id": "late-1"}\n')  # judged by ingestion, not by the sensor
    try:
        with (
            dg.DagsterInstance.ephemeral() as instance,
            dg.build_sensor_context(instance=instance, resources={"paths": paths}) as context,
        ):
            [request] = landing_sensor(context).run_requests
        assert request.run_config["ops"]["inventory_events"]["config"]["files"] == [
            "pos/zz-late.jsonl"
        ]
    finally:
        new_file.unlink()


def test_every_headline_kpi_has_one_value_everywhere(pipeline):
    """For the same period (dbt's current standard period, the dashboards' default window)
    and no filter, every headline KPI of the catalog reads the same in the omnistock
    summary, the Dagster metadata of kpi_daily, the Overview tile, the sparkline beside it
    (its period line) and the offline report; the charts that state it agree too."""
    import re

    from dashboard_fixtures import find_component

    from dashboards.app import render_page
    from dashboards.data import snapshot_data
    from dashboards.filters import Filters
    from dashboards.kpi_queries import kpi_catalog, kpi_window
    from dashboards.kpis import format_value
    from dashboards.pages.orders import figures, queries
    from dashboards.snapshot import SnapshotReader
    from dashboards.theme import format_duration
    from omnistock.app.summary import collect_summary

    settings = pipeline.settings
    summary = {kpi.name: kpi for kpi in collect_summary(settings)["headline_kpis"]}
    metadata = _materialization(pipeline.loop_result, "marts", "kpi_daily")
    report = Path(_materialization(pipeline.loop_result, "planner_report")["report"].value)
    report_cells = dict(
        re.findall(
            r"<tr id='kpi-(\w+)'><td>[^<]*</td><td class='num'>([^<]*)</td>", report.read_text()
        )
    )
    reader = SnapshotReader(settings.snapshots_dir)
    with snapshot_data(reader) as data:
        catalog = kpi_catalog(data)
        window = kpi_window(data)
        filters = Filters(*window)
        overview, _ = render_page(reader, "/overview", filters)
        rates = figures.order_exception_rate_by_channel(
            queries.order_exception_rate_by_channel(data, filters)
        )
        latency = figures.reservation_latency_histogram(
            queries.reservation_latencies(data, filters),
            queries.reservation_latency_percentiles(data, filters),
        )
    headline = [name for name, kpi in catalog.items() if kpi.is_headline]
    assert list(summary) == headline and len(headline) == 12
    first = next(iter(summary.values()))
    horizon_date = pipeline.before_loop["clock"]["horizon"][1]
    assert window == (first.period_start, first.period_end)
    assert first.period_end == horizon_date
    assert metadata["kpi_period"].value == f"{window[0]} to {window[1]}"
    for name, kpi in summary.items():
        assert kpi.value is not None, name
        slug = name.replace("_", "-")
        tile = find_component(overview, f"tile-{slug}")
        shown = find_component(tile, f"tile-value-{slug}").children
        spark = find_component(tile, f"spark-{slug}").figure
        [period_line] = [trace for trace in spark.data if trace.name == "period"]
        assert metadata[name].value == pytest.approx(kpi.value), name
        assert period_line.y[0] == pytest.approx(kpi.value), name
        assert shown == report_cells[name] == format_value(catalog[name], kpi.value), name
    assert f"overall {summary['order_exception_rate'].value:.1%}" in rates.layout.title.text
    p95 = format_duration(summary["reservation_latency_p95_s"].value)
    assert f"p95 {p95}" in latency.layout.title.text
