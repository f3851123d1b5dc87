"""The worked exception queue in headless Chromium: an acknowledgement made on /exceptions
survives the next pipeline run's publish and is in the audit log; a resolve needs its note
and takes the row out of the default view; What changed lists the alerts and the changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import build_warehouse
from test_dashboards_browser import browser, choose, screenshot_dir, sync_api, tab  # noqa: F401

from dashboards.pages import PAGES_BY_PATH
from dashboards.screenshots import CHROMIUM, open_page
from dashboards.server import BackgroundServer
from dashboards.snapshot import open_snapshot, publish_snapshot
from omnistock import alerts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM}"),
]
EXCEPTIONS = PAGES_BY_PATH["/exceptions"]
E91 = "unreconciled_event:e-91"  # DC01's unposted transfer_shipped, 30.0 at cost


def publish(home: Path) -> Path:
    """What the pipeline's published_snapshot asset does at the end of a run."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return publish_snapshot(con, home / "snapshots", risk_threshold=0.9)


@pytest.fixture
def home(tmp_path) -> Path:
    build_warehouse(tmp_path / "warehouse.duckdb")
    publish(tmp_path)
    return tmp_path


def row(tab, reference: str):  # noqa: F811
    return tab.locator("#exceptions-table tr", has_text=reference)


def record(tab, reference: str, action: str, note: str) -> None:  # noqa: F811
    row(tab, reference).locator("input[type=checkbox]").check()
    choose(tab, "work-action", action)
    tab.fill("#work-note", note)
    tab.click("#work-apply")


def test_an_acknowledgement_survives_a_pipeline_run_and_is_in_the_audit_log(
    home,
    tab,  # noqa: F811
    screenshot_dir,  # noqa: F811
):
    with BackgroundServer(home / "snapshots") as server:
        open_page(tab, server.url, EXCEPTIONS)
        tab.fill("#work-who", "ana")
        record(tab, "e-91", "Acknowledge", "DC called, posting tonight")
        sync_api.expect(tab.locator("#work-message")).to_have_text("Acknowledged 1 exception.")
        sync_api.expect(row(tab, "e-91")).to_contain_text("acknowledged by ana")

        version = publish(home)  # the next run
        open_page(tab, server.url, EXCEPTIONS)
        sync_api.expect(tab.locator("#snapshot-status")).to_contain_text(version.name)
        sync_api.expect(row(tab, "e-91")).to_contain_text("acknowledged by ana")
        sync_api.expect(row(tab, "e-91")).to_contain_text("DC called, posting tonight")
        tab.screenshot(path=str(screenshot_dir / "exceptions-worked.png"), full_page=True)

    [entry] = [json.loads(line) for line in (home / "worklog" / "audit.jsonl").open()]
    assert entry["who"] == "ana" and entry["exception_id"] == E91
    assert entry["action"] == "acknowledge"
    assert entry["fields"] == {"note": "DC called, posting tonight"}
    assert entry["before"]["status"] == "open" and entry["after"]["status"] == "acknowledged"
    assert abs(datetime.fromisoformat(entry["at"]) - datetime.now(UTC)).total_seconds() < 300
    # the new snapshot holds it (it survives the log's loss from here on)
    with open_snapshot(home / "snapshots") as con:
        assert con.execute(
            "select status, last_action_by, note from exception_work where exception_id = ?",
            [E91],
        ).fetchall() == [("acknowledged", "ana", "DC called, posting tonight")]


def test_a_resolve_needs_a_note_and_leaves_the_default_view(home, tab):  # noqa: F811
    with BackgroundServer(home / "snapshots") as server:
        open_page(tab, server.url, EXCEPTIONS)
        record(tab, "e-77", "Resolve (note required)", "")
        sync_api.expect(tab.locator("#work-message")).to_have_text(
            "Not recorded: resolve needs note."
        )
        tab.fill("#work-note", "posted by hand in the ERP")
        tab.click("#work-apply")
        sync_api.expect(tab.locator("#work-message")).to_have_text("Resolved 1 exception.")
        sync_api.expect(row(tab, "e-77")).to_have_count(0)  # open and acknowledged only
        tab.check("#work-show input[value=resolved]")
        sync_api.expect(row(tab, "e-77")).to_contain_text("resolved by")
    assert (home / "worklog" / "audit.jsonl").read_text().count("\n") == 1


def test_what_changed_lists_the_alerts_and_the_exceptions_closed(
    home,
    tab,  # noqa: F811
    screenshot_dir,  # noqa: F811
):
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("delete from marts.exception_queue where exception_id = ?", [E91])
    publish(home)
    judgement = alerts.Judgement()
    judgement.add(
        "stale_source",
        [alerts.Condition("stale_source", "erp", "warning", "erp is 14.0 h behind", 14.0, 12.0)],
    )
    alerts.AlertLog(home / "notifications").update(judgement, "run-2", datetime.now(UTC))
    with BackgroundServer(home / "snapshots") as server:
        open_page(tab, server.url, PAGES_BY_PATH["/overview"])
        sync_api.expect(tab.locator("#alert-banner")).to_contain_text("1 active alert")
        tab.click("#alert-banner a")
        tab.wait_for_selector("#changes-alerts")
        sync_api.expect(tab.locator("#changes-alerts")).to_contain_text("erp is 14.0 h behind")
        table = tab.locator("#changes-exceptions-table")
        sync_api.expect(table.locator("tr", has_text="e-91")).to_contain_text("closed")
        tab.screenshot(path=str(screenshot_dir / "changes.png"), full_page=True)
