"""The dashboards in headless Chromium: every page draws, filters change the figures, missing
tables give an empty state, and pages keep answering while the warehouse is write-locked.

Screenshots of every page go to $OMNISTOCK_SCREENSHOT_DIR (default: a pytest tmp folder).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dashboard_fixtures import publish_fixture_snapshot

from dashboards.pages import PAGES, PAGES_BY_PATH
from dashboards.screenshots import CHROMIUM, VIEWPORT, launch_chromium, open_page
from dashboards.server import BackgroundServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"Chromium not found at {CHROMIUM} (Debian: apt-get install "
        "chromium); browser tests need it",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api")

OVERSELLS_TOTAL_JS = """
() => {
  const plot = document.querySelector('#orders-oversells .js-plotly-plot');
  if (!plot || !plot.data) return null;
  return plot.data.filter(t => t.type === 'bar')
    .reduce((sum, t) => sum + t.y.reduce((a, b) => a + (b || 0), 0), 0);
}
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    return publish_fixture_snapshot(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def server(published):
    with BackgroundServer(published) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory) -> Path:
    configured = os.environ.get("OMNISTOCK_SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def tab(browser):
    """A fresh browser tab that records every console error, page error and failed
    callback; the test fails if any happened."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "response",
        lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )
    yield page
    context.close()
    assert problems == []


def choose(page, dropdown_id: str, option: str) -> None:
    page.click(f"#{dropdown_id}")
    page.click(f"[role=option]:has-text('{option}')")
    page.keyboard.press("Escape")


def test_every_page_draws_its_graphs(server, tab, screenshot_dir):
    for number, page in enumerate(PAGES):
        # The first page by its URL, the others through the navigation (no reload: faster).
        traces = open_page(tab, server.url, page, via_nav=number > 0)
        assert tab.url == server.url + page.path
        assert traces, f"{page.path} has no graphs"
        empty = [graph for graph, count in traces.items() if count == 0]
        assert empty == [], f"{page.path}: graphs without data {empty}"
        assert tab.locator(".page-error").count() == 0
        assert tab.get_attribute(f"#nav-{page.slug}", "class") == "nav-link active"
        tab.screenshot(path=str(screenshot_dir / f"{page.slug}.png"), full_page=True)
    # The process map keeps one workflow per tab: the others draw when chosen.
    open_page(tab, server.url, PAGES_BY_PATH["/process"], via_nav=True)
    tab.click("#process-tabs >> text=return")
    tab.wait_for_function(
        "() => document.querySelector('#process-map-return .js-plotly-plot')?.data?.length > 0"
    )


def test_filters_change_the_figures_and_follow_the_planner(server, tab):
    open_page(tab, server.url, PAGES_BY_PATH["/orders"])
    assert tab.evaluate(OVERSELLS_TOTAL_JS) == 4  # web 3 + marketplace 1
    choose(tab, "filter-channel", "marketplace")
    tab.wait_for_function(f"({OVERSELLS_TOTAL_JS})() === 1")
    # The filter bar stays put across pages: the overview tiles now use the channel cut.
    open_page(tab, server.url, PAGES_BY_PATH["/overview"], via_nav=True)
    tile = tab.locator("#tile-order-exception-rate")
    sync_api.expect(tile).to_contain_text("selected channels")
    sync_api.expect(tab.locator("#tile-value-order-exception-rate")).to_have_text("5.0%")
    # A region narrows the risk ranking and the location choices.
    open_page(tab, server.url, PAGES_BY_PATH["/risk"], via_nav=True)
    choose(tab, "filter-region", "south")
    tab.wait_for_function(
        "() => document.querySelector('#risk-ranking .js-plotly-plot')?.data?.length === 1"
    )
    tab.click("#filter-location")
    options = tab.locator("[role=option]")
    sync_api.expect(options).to_have_count(1)
    assert options.inner_text().upper() == "S002 · SOUTH STORE 2"


def test_pages_answer_while_the_warehouse_is_write_locked(server, tab, published):
    warehouse = published.parent / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time, duckdb\n"
                "con = duckdb.connect(sys.argv[1])\n"
                "con.execute('begin transaction')\n"
                "con.execute('delete from marts.kpi_daily')\n"
                "print('locked', flush=True)\n"
                "time.sleep(120)\n"
            ),
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException):  # the pipeline run holds the file
            duckdb.connect(str(warehouse), read_only=True)
        for number, path in enumerate(("/overview", "/transfers", "/risk")):
            traces = open_page(tab, server.url, PAGES_BY_PATH[path], via_nav=number > 0)
            assert traces and all(traces.values())
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_missing_risk_tables_show_an_empty_state(browser, tmp_path):
    snapshots = publish_fixture_snapshot(tmp_path, with_risk_tables=False)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        with BackgroundServer(snapshots) as running:
            for path, table in (
                ("/risk", "location_risk"),
                ("/cycle-counts", "cycle_count_requests"),
            ):
                open_page(page, running.url, PAGES_BY_PATH[path])
                assert f"no {table} table yet" in page.inner_text(".empty-state")
    finally:
        context.close()
    assert errors == []
