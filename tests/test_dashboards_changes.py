"""What changed since the previous run and the worked queue, on the hand-made marts of
dashboard_fixtures: two snapshot versions published from a warehouse edited in between, the
differences a publish derives (dashboards/derived.py) counted by hand, the work log flowing
into the next snapshot, and the active alerts as omnistock.alerts writes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import HORIZON_AT, build_warehouse, find_component

from dashboards.app import render_page
from dashboards.data import snapshot_data
from dashboards.desk import Desk
from dashboards.filters import Filters
from dashboards.pages.changes import queries as changes
from dashboards.pages.exceptions import queries as exceptions
from dashboards.pages.exceptions import work
from dashboards.server import is_loopback
from dashboards.snapshot import SnapshotReader, open_snapshot, publish_snapshot, read_manifest
from omnistock import alerts

# Between the two runs the oversell of O-8-2-m (10.0 at cost, S002) and the unposted sale
# e-77 (8.0, S001) close, a negative stock of SKU2 at S001 opens (3 units x 4.0 = 12.0); pos
# delivers 600 events and its watermark moves 2 h, the other feeds deliver nothing.
CLOSED = {"oversell:O-8-2-m|SKU1": 10.0, "unreconciled_event:e-77": 8.0}
OPENED = {"negative_stock:S001|SKU2": 12.0}
E91 = "unreconciled_event:e-91"


def publish(home: Path) -> Path:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return publish_snapshot(con, home / "snapshots", risk_threshold=0.9)


def next_run(home: Path) -> None:
    """The warehouse as the next pipeline run leaves it."""
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(
            "delete from marts.exception_queue where list_contains(?, exception_id)",
            [list(CLOSED)],
        )
        con.execute(
            "insert into marts.exception_queue (exception_id, exception_type, workflow, "
            "reference_id, location_id, sku, opened_at, age_h, units, value_at_cost, detail, "
            "impact_rank, as_of) values (?, 'negative_stock', 'stock', 'S001|SKU2', 'S001', "
            "'SKU2', ?, 10.0, 3, 12.0, 'book quantity -3', 7, ?)",
            [*OPENED, HORIZON_AT - timedelta(hours=10), HORIZON_AT],
        )
        con.execute(
            "update intermediate.int_source_watermarks set events = events + 600, "
            "watermark_at = watermark_at + interval 2 hour where source_system = 'pos'"
        )


@pytest.fixture
def home(tmp_path) -> Path:
    build_warehouse(tmp_path / "warehouse.duckdb")
    return tmp_path


def rows(snapshots: Path, sql: str) -> list[tuple]:
    with open_snapshot(snapshots) as con:
        return con.execute(sql).fetchall()


def test_a_first_publish_has_nothing_to_compare_with(home):
    publish(home)
    manifest = read_manifest(home / "snapshots")
    assert manifest["previous"] is None
    assert manifest["tables"]["exception_changes"]["rows"] == 0
    assert manifest["worklog"] == {"file": str(home / "worklog" / "audit.jsonl"), "seq": 0}
    sources = rows(home / "snapshots", "select count(*), count(new_events) from source_changes")
    assert sources == [(4, 0)]  # every source listed, nothing to subtract from


def test_two_versions_differ_by_the_exceptions_opened_and_closed(home):
    first = publish(home)
    next_run(home)
    publish(home)
    snapshots = home / "snapshots"

    manifest = read_manifest(snapshots)
    assert manifest["previous"]["version"] == first.name
    assert manifest["previous"]["compared"] == ["exception_queue", "int_source_watermarks"]
    changed = rows(
        snapshots, "select change, exception_id, value_at_cost from exception_changes order by 2"
    )
    assert {(c, i): v for c, i, v in changed} == {
        **{("closed", i): v for i, v in CLOSED.items()},
        **{("opened", i): v for i, v in OPENED.items()},
    }
    sources = rows(
        snapshots,
        "select source_system, new_events, watermark_advance_h from source_changes order by 1",
    )
    assert sources == [
        ("erp", 0, 0.0),
        ("pos", 600, 2.0),
        ("supplier_portal", 0, 0.0),
        ("wms", 0, 0.0),
    ]
    # a run that changes nothing: the next version differs from this one by nothing
    publish(home)
    assert rows(snapshots, "select count(*) from exception_changes") == [(0,)]


def test_the_changes_page_counts_them_and_narrows_them_by_location(home):
    publish(home)
    next_run(home)
    publish(home)
    reader = SnapshotReader(home / "snapshots")
    with snapshot_data(reader) as data:
        summary = changes.exception_change_summary(data, Filters())
        at_s001 = changes.exception_changes(data, Filters(locations=("S001",)))
    assert sorted(summary.select("change", "exception_type", "exceptions").rows()) == [
        ("closed", "oversell", 1),
        ("closed", "unreconciled_event", 1),
        ("opened", "negative_stock", 1),
    ]
    assert sorted(at_s001.select("change", "exception_id").rows()) == [
        ("closed", "unreconciled_event:e-77"),
        ("opened", "negative_stock:S001|SKU2"),
    ]
    body, _ = render_page(reader, "/changes", Filters(), desk=Desk.beside(home / "snapshots"))
    title = find_component(body, "changes-exceptions").figure.layout.title.text
    assert "1 exception opened (12 at cost), 2 exceptions closed (18 at cost)" in title
    sources = find_component(body, "changes-sources-table").data
    assert {row["source_system"]: row["state"] for row in sources} == {
        "erp": "late: 14.0 h behind the leading feed",
        "wms": "no new events since the previous run",
        "pos": "on time",
        "supplier_portal": "not a regular feed",
    }
    kpis = find_component(body, "changes-kpis-table").data
    # the KPI that moved first, then the furthest from their mean, too short a baseline last
    assert [(k["label"], k["kpi_date"], k["verdict"], k["value_text"]) for k in kpis] == [
        ("Supplier on-time receipts", "2026-03-09", "moved", "50.0%"),
        ("Negative stock positions", "2026-03-09", "normal", "9"),
        ("Oversells", "2026-03-09", "normal", "0"),
        ("Orders with an exception", "2026-03-06", "too few days to judge", "16.0%"),
    ]


def test_work_done_between_runs_flows_into_the_next_snapshot(home):
    publish(home)
    desk = Desk.beside(home / "snapshots")
    desk.worklog.record(E91, "acknowledge", "ana", {"note": "DC called"})
    reader = SnapshotReader(home / "snapshots")
    now = datetime.now(UTC)
    # before the next publish the page reads the entry from the log itself
    with snapshot_data(reader, desk) as data:
        worked = exceptions.worked_queue(data, Filters(), now)
    e91 = worked.filter(worked["exception_id"] == "unreconciled_event:e-91").row(0, named=True)
    assert (e91["status"], e91["last_action"], e91["note"]) == (
        "acknowledged",
        "acknowledged by ana",
        "DC called",
    )

    next_run(home)
    publish(home)

    assert read_manifest(home / "snapshots")["worklog"]["seq"] == 1
    work_rows = rows(
        home / "snapshots",
        "select exception_id, status, last_action_by, actions from exception_work",
    )
    assert work_rows == [("unreconciled_event:e-91", "acknowledged", "ana", 1)]
    # the snapshot alone (no desk) shows it; with the desk a later entry adds to it
    desk.worklog.record("unreconciled_event:e-91", "assign", "ana", {"owner": "bo"})
    with snapshot_data(reader) as data:
        alone = exceptions.work_states(data)["unreconciled_event:e-91"]
    with snapshot_data(reader, desk) as data:
        live = exceptions.work_states(data)["unreconciled_event:e-91"]
    assert (alone.status, alone.owner) == ("acknowledged", None)
    assert (live.status, live.owner, live.actions) == ("acknowledged", "bo", 2)


def test_the_form_records_only_known_actions_on_listed_exceptions(home):
    publish(home)
    desk = Desk.beside(home / "snapshots")
    reader = SnapshotReader(home / "snapshots")
    ids = ["oversell:O-8-2-m|SKU1", "unreconciled_event:e-77"]
    with snapshot_data(reader, desk) as data:

        def outcome(selected, action, form):
            return work.record_actions(data, desk, selected, action, "ana", form)

        assert outcome([], "acknowledge", {}) == (
            False,
            "Tick one or more exceptions in the table first.",
        )
        assert outcome(["oversell:O-8-2-m|SKU1' or 1=1 --"], "acknowledge", {}) == (
            False,
            "Not recorded: the selection holds exceptions this snapshot does not list.",
        )
        recorded, message = outcome(ids, "delete", {})
        assert not recorded and message.startswith("Not recorded: unknown action 'delete'")
        # the form sends every field: only those the action takes are passed on
        form = {"owner": "bo", "until": None, "note": "both at S002"}
        assert outcome(ids, "assign", form) == (True, "Assigned 2 exceptions.")
        assert outcome(ids, "resolve", {"note": ""}) == (
            False,
            "Not recorded: resolve needs note.",
        )
    entries = desk.worklog.entries()
    assert [(e["exception_id"], e["action"], e["fields"]) for e in entries] == [
        (i, "assign", {"owner": "bo", "note": "both at S002"}) for i in ids
    ]


def test_active_alerts_show_as_omnistock_alerts_keeps_them(home):
    publish(home)
    desk = Desk.beside(home / "snapshots")
    reader = SnapshotReader(home / "snapshots")
    body, _ = render_page(reader, "/overview", Filters(), desk=desk)
    with pytest.raises(LookupError):
        find_component(body, "alert-banner")  # nothing raised yet
    judgement = alerts.Judgement()
    judgement.add(
        "stale_source",
        [alerts.Condition("stale_source", "erp", "warning", "erp is 14.0 h behind", 14.0, 12.0)],
    )
    judgement.add(
        "failed_check",
        [alerts.Condition("failed_check", "raw:rows", "critical", "Check rows failed.")],
    )
    alerts.AlertLog(home / "notifications").update(judgement, "run-1", datetime.now(UTC))

    assert [a["key"] for a in desk.active_alerts()] == ["failed_check:raw:rows", "stale_source:erp"]
    body, _ = render_page(reader, "/overview", Filters(), desk=desk)
    banner = find_component(body, "alert-banner")
    assert "critical" in banner.className
    assert [child.children for child in banner.children[:2]] == [
        "2 active alerts",
        "Check rows failed.",
    ]
    body, _ = render_page(reader, "/changes", Filters(), desk=desk)
    rules = find_component(body, "changes-alerts").children  # one fold per rule, worst first
    assert [rule.children[0].children for rule in rules] == [
        "failed_check: 1 active alert",
        "stale_source: 1 active alert",
    ]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("::", False)],
)
def test_only_loopback_counts_as_local(host, loopback):
    assert is_loopback(host) is loopback


def test_served_beyond_loopback_the_queue_is_read_only(home):
    publish(home)
    desk = Desk.beside(home / "snapshots", writable=False)
    reader = SnapshotReader(home / "snapshots")
    body, _ = render_page(reader, "/exceptions", Filters(), desk=desk)
    assert "Read-only" in str(find_component(body, "work-panel").children)
    with snapshot_data(reader, desk) as data:
        outcome = work.record_actions(data, desk, [E91], "acknowledge", "ana", {})
    assert outcome == (False, "Not recorded: the dashboards are served read-only.")
    assert not desk.worklog.path.exists()
