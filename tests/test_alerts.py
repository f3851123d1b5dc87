"""Alerts: raised once, resolved when gone, recorded on disk, optionally sent; and for real, a
stale feed in a simulated landing raises an alert when the alert sensor judges the run."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import duckdb
import pytest
from homes import isolated_home

import simulator
from omnistock import alerts
from omnistock.app.pipeline import run_pipeline
from orchestration.defs.alerts.sensors import ALERT_SENSORS, ALERTS_TAG
from orchestration.resources import resources_for

T0 = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def judged(*conditions: alerts.Condition, rules=("kpi_threshold", "stale_source")):
    judgement = alerts.Judgement()
    for rule in rules:
        judgement.add(rule, [c for c in conditions if c.rule == rule])
    return judgement


LATE_ERP = alerts.Condition("stale_source", "erp", "warning", "erp is late", 13.0, 12.0)
EXCEPTIONS = alerts.Condition("kpi_threshold", "order_exception_rate", "warning", "high", 0.3, 0.25)


def test_an_alert_is_raised_once_and_resolved_when_its_condition_goes(tmp_path):
    log = alerts.AlertLog(tmp_path / "notifications")

    first = log.update(judged(LATE_ERP, EXCEPTIONS), "run-1", T0)
    again = log.update(judged(LATE_ERP, EXCEPTIONS), "run-2", T1)
    cleared = log.update(judged(EXCEPTIONS), "run-3", T2)

    assert [r["key"] for r in first.raised] == [
        "kpi_threshold:order_exception_rate",
        "stale_source:erp",
    ]
    assert again.raised == [] and again.resolved == []
    assert cleared.raised == [] and [r["key"] for r in cleared.resolved] == ["stale_source:erp"]
    assert list(log.active()) == ["kpi_threshold:order_exception_rate"]
    records = log.records()
    assert [(r["status"], r["key"]) for r in records] == [
        ("raised", "kpi_threshold:order_exception_rate"),
        ("raised", "stale_source:erp"),
        ("resolved", "stale_source:erp"),
    ]
    resolved = records[-1]
    assert resolved["run_id"] == "run-1" and resolved["resolved_by_run_id"] == "run-3"
    assert resolved["raised_at"] == T0.isoformat() and resolved["resolved_at"] == T2.isoformat()


def test_an_alert_whose_rule_was_not_judged_stays_active(tmp_path):
    log = alerts.AlertLog(tmp_path)
    failed = alerts.CheckOutcome(
        "raw/inventory_events", "refused_files", False, "WARN", "2 refused"
    )
    first = alerts.Judgement()
    alerts.check_conditions([failed], first)
    log.update(first, "run-1", T0)
    # a run whose checks did not include refused_files (a subset run) says nothing about it
    other_check = alerts.Judgement()
    alerts.check_conditions(
        [alerts.CheckOutcome("raw/inventory_events", "unknown_landing_entries", True, "WARN")],
        other_check,
    )
    # nor does an evaluation of the data rules alone
    assert log.update(other_check, "run-2", T1).resolved == []
    assert log.update(judged(), "run-3", T1).resolved == []
    # the check passing again resolves it
    passed = alerts.Judgement()
    alerts.check_conditions([failed.__class__(**{**failed.__dict__, "passed": True})], passed)
    assert [r["key"] for r in log.update(passed, "run-4", T2).resolved] == [
        "failed_check:raw/inventory_events:refused_files"
    ]
    assert (
        first.conditions[0].message
        == "Check refused_files on raw/inventory_events failed: 2 refused"
    )


def test_conditions_are_read_from_a_snapshot_with_their_messages():
    con = duckdb.connect()
    con.execute(
        "create table alert_conditions as select * from (values "
        "('kpi_threshold', 'order_exception_rate', 'warning', 'Orders with an exception', "
        "'ratio', 0.3, 0.25), "
        "('stale_source', 'erp', 'warning', 'erp', 'h', 13.25, 12.0), "
        "('stale_source', 'wms', 'warning', 'wms', 'h', null, 12.0)) "
        "as t(rule, subject, severity, label, unit, value, threshold)"
    )
    con.execute(
        "create table location_risk as select * from (values "
        "('S002', 1, 0.95, 'shrink 3x peers'), ('S001', 2, 0.5, 'normal')) "
        "as t(location_id, risk_rank, risk_score, reason)"
    )
    judgement = alerts.Judgement()
    alerts.data_conditions(con, 0.9, judgement)
    messages = {c.key: c.message for c in judgement.conditions}
    assert messages == {
        "kpi_threshold:order_exception_rate": "Orders with an exception is 30.0% over the current "
        "period (alert threshold 25.0%).",
        "stale_source:erp": "erp is 13.2 h behind the leading feed (alert beyond 12 h): its data "
        "holds the KPIs' horizon back.",
        "stale_source:wms": "wms has not delivered a regular day of events.",
        "high_risk_location:S002": "S002 ranks #1 for stock-record risk (0.95 ≥ 0.9): shrink 3x "
        "peers",
    }
    assert set(judgement.judged) == {"kpi_threshold", "stale_source", "high_risk_location"}


class _Inbox(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Inbox.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_changes_are_sent_to_a_webhook(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Inbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        changes = alerts.AlertLog(tmp_path).update(judged(LATE_ERP), "run-1", T0)
        url = f"json://127.0.0.1:{server.server_port}/alerts"
        assert alerts.notify(changes, [url]) is None
    finally:
        server.shutdown()
    [message] = _Inbox.received
    assert message["title"] == "Omnistock alerts: 1 raised, 0 resolved"
    assert message["message"] == "raised stale_source:erp: erp is late"
    assert alerts.notify(changes, ["not a url"]) is not None


@pytest.fixture(scope="module")
def stale_marketplace(tmp_path_factory):
    """tiny with the marketplace's last day missing: it lags the other feeds by about a day."""
    home = tmp_path_factory.mktemp("alerts") / "omnistock"
    with isolated_home(home) as settings:
        simulator.simulate(simulator.get_scenario("tiny", seed=7), settings.landing_dir)
        last_day = sorted((settings.landing_dir / "marketplace").iterdir())[-1]
        last_day.unlink()
        run = run_pipeline(settings)
        with dg.DagsterInstance.get() as instance:
            first = evaluate(instance, run.run_id, settings)
            tags = instance.get_run_by_id(run.run_id).tags
            # the daemon evaluating the same run again (a retried tick) raises nothing new
            repeated = evaluate(instance, run.run_id, settings)
        yield settings, first, repeated, tags


def evaluate(instance: dg.DagsterInstance, run_id: str, settings):
    """The success sensor, evaluated as the daemon would on the run's success event."""
    [success] = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.RUN_SUCCESS
    ).records
    sensor = ALERT_SENSORS[0]
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=success.event_log_entry.dagster_event,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
        resources=resources_for(settings),
    )
    result = sensor(context)
    return result.skip_message


def test_a_stale_feed_raises_one_alert_record(stale_marketplace):
    settings, first, repeated, tags = stale_marketplace
    raised = [
        r for r in alerts.AlertLog(settings.notifications_dir).records() if r["status"] == "raised"
    ]
    stale = [r for r in raised if r["rule"] == "stale_source"]
    assert [r["subject"] for r in stale] == ["marketplace"]
    # said once: the failed marketplace_freshness check is the same fact
    assert not [r for r in raised if "freshness" in r["subject"]]
    # its last regular day is the day before the others' (tiny delivers through 23:xx)
    assert 12 < stale[0]["value"] < 36
    assert "raised stale_source:marketplace: marketplace is" in first
    assert repeated == "No alert raised or resolved."
    assert tags[ALERTS_TAG] == f"{len(raised)} raised, 0 resolved, {len(raised)} active"
