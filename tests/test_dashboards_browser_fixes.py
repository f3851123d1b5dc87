"""Issue 13, item 8 in headless Chromium (and item 7's paging as a planner uses it): the
process map's text clear of every curve, tables that fit their cards, the reversed-date
message, and a table turned, sorted and filtered page by page on the server. Reuses the
browser fixtures of tests/test_dashboards_browser.py (a tab that fails the test on any
console error, page error or failed request)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import test_dashboards_browser
from dash.dash_table import DataTable
from dashboard_fixtures import build_warehouse, components_in
from test_dashboards_browser import browser, published, server, sync_api, tab  # noqa: F401

from dashboards.app import render_page
from dashboards.components import Page
from dashboards.data import snapshot_data
from dashboards.datatable import Table
from dashboards.filters import Filters
from dashboards.pages import PAGES, PAGES_BY_PATH
from dashboards.pages.exceptions.queries import exception_queue
from dashboards.screenshots import VIEWPORT, open_page
from dashboards.server import BackgroundServer
from dashboards.snapshot import SnapshotReader, publish_snapshot

pytestmark = test_dashboards_browser.pytestmark

# [text, line] pairs of the process map whose text box a curve or an arrowhead crosses
# (each path sampled at 201 points, its stroke's half width counted), and of texts that
# overlap each other: the activities' names and the transitions' labels.
TEXT_ON_LINES_JS = """
(graphId) => {
  const plot = document.querySelector(`#${graphId} .js-plotly-plot`);
  const traces = plot.querySelectorAll('.scatterlayer > g.trace');
  const texts = ['transitions', 'activities'].flatMap(name => {
    const trace = traces[plot.data.findIndex(t => t.name === name)];
    return [...trace.querySelectorAll('.textpoint text')]
      .map(t => [t.textContent, t.getBoundingClientRect()]);
  });
  const lines = [...plot.querySelectorAll('.shapelayer path'),
                 ...plot.querySelectorAll('.annotation-arrow-g path')];
  const hits = [];
  lines.forEach((path, n) => {
    const half = parseFloat(getComputedStyle(path).strokeWidth || '1') / 2;
    const matrix = path.getScreenCTM();
    const length = path.getTotalLength();
    for (let i = 0; i <= 200; i++) {
      const p = path.getPointAtLength(length * i / 200).matrixTransform(matrix);
      for (const [text, box] of texts) {
        const dx = Math.max(box.left - p.x, 0, p.x - box.right);
        const dy = Math.max(box.top - p.y, 0, p.y - box.bottom);
        if (Math.hypot(dx, dy) < half) hits.push(`${text} on line ${n}`);
      }
    }
  });
  texts.forEach(([a, boxA], i) => texts.slice(i + 1).forEach(([b, boxB]) => {
    if (boxA.left < boxB.right && boxB.left < boxA.right &&
        boxA.top < boxB.bottom && boxB.top < boxA.bottom) hits.push(`${a} on ${b}`);
  }));
  return {texts: texts.length, lines: lines.length, hits: [...new Set(hits)]};
}
"""

# [card id, table width, card's inner width] of every table on the page.
TABLE_WIDTHS_JS = """
() => [...document.querySelectorAll('#page-content .dash-spreadsheet-container')].map(t => {
  const card = t.closest('.card');
  const style = getComputedStyle(card);
  const inner = card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [card.id, t.querySelector('table').scrollWidth, inner];
})
"""


def test_process_map_text_sits_on_no_curve_and_no_other_text(server, tab):  # noqa: F811
    open_page(tab, server.url, PAGES_BY_PATH["/process"])
    for workflow in ("order", "return"):
        tab.click(f"#process-tabs >> text={workflow}")
        graph = f"process-map-{workflow}"
        tab.wait_for_function(
            f"() => document.querySelector('#{graph} .js-plotly-plot')?.data?.length > 0"
        )
        found = tab.evaluate(TEXT_ON_LINES_JS, graph)
        assert found["texts"] > 0 and found["lines"] > 0
        assert found["hits"] == [], workflow


@pytest.fixture(scope="module")
def wordy(tmp_path_factory) -> Path:
    """The fixture with cycle-count requests as long as the reference scenario's: a reason
    of several drivers and 25 SKUs per request."""
    folder = tmp_path_factory.mktemp("wordy")
    warehouse = build_warehouse(folder / "warehouse.duckdb")
    reason = "; ".join(f"driver {n} 12.3x peer median" for n in range(6))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update actions.cycle_count_requests set reason = ?", [reason])
        con.execute(
            "insert into actions.cycle_count_request_lines "
            "select line.* replace ('SKU' || lpad(n::varchar, 5, '0') as sku, 100 + n as priority) "
            "from actions.cycle_count_request_lines as line, range(25) as skus(n) "
            "qualify row_number() over (partition by request_id, n) = 1"
        )
        publish_snapshot(con, folder / "snapshots")
    return folder / "snapshots"


# True once every one of these table cards on screen holds its drawn table (tables draw
# lazily; the process map's other tabs are not on screen).
TABLES_DRAWN_JS = """
(cards) => cards.filter(card => document.getElementById(card))
  .every(card => document.querySelector(`#${card} .dash-spreadsheet-container table`))
"""


def _table_cards(snapshots: Path, page: Page) -> list[str]:
    """The ids of the table cards `page` draws (the cards hold the tables' element ids)."""
    body, _ = render_page(SnapshotReader(snapshots), page.path, Filters())
    return [node.id["table"] for node in components_in(body) if isinstance(node, DataTable)]


def test_every_table_fits_its_card(browser, wordy):  # noqa: F811
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    widths = []
    try:
        with BackgroundServer(wordy) as running:
            for number, shown in enumerate(PAGES):
                open_page(page, running.url, shown, via_nav=number > 0)
                page.wait_for_function(TABLES_DRAWN_JS, arg=_table_cards(wordy, shown))
                widths += page.evaluate(TABLE_WIDTHS_JS)
    finally:
        context.close()
    assert "cycle-counts-table" in {card for card, _, _ in widths}
    assert [(card, width, inner) for card, width, inner in widths if width > inner] == []


def test_a_reversed_date_range_says_so_instead_of_blank_tiles(server, tab):  # noqa: F811
    open_page(tab, server.url, PAGES_BY_PATH["/overview"])
    end = tab.locator("#filter-dates-end-date")
    end.fill("2026-03-02")
    end.press("Enter")
    message = tab.locator("#reversed-dates")
    sync_api.expect(message).to_contain_text("The end date is before the start date")
    sync_api.expect(message).to_contain_text("2026-03-03 back to 2026-03-02")
    assert tab.locator(".tile").count() == 0


# A page made for the test: the exception queue two rows at a time (the fixture has six).
PAIRS = Table(
    "pairs-table",
    "Open exceptions, two at a time",
    exception_queue,
    {"impact_rank": "rank", "location_id": "location", "units": "units"},
    page_size=2,
)
PAIRS_PAGE = Page(
    "pairs",
    "Pairs",
    lambda data, filters: [PAIRS(data, filters)],
    question="Does a table page on the server?",
    applies=("location",),
)


FILTER_ROW = "#pairs-table th.dash-filter"


def test_a_table_pages_sorts_and_filters_on_the_server(published, browser):  # noqa: F811
    with snapshot_data(SnapshotReader(published)) as data:
        rows = exception_queue(data, Filters())  # ranked by impact
    ranks = [str(rank) for rank in rows["impact_rank"].to_list()]
    by_units = rows.sort(["units", "impact_rank"], descending=[True, False])
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    ranks_shown = page.locator("#pairs-table td[data-dash-column=impact_rank]")
    try:
        with BackgroundServer(published, pages=(PAIRS_PAGE,)) as running:
            open_page(page, running.url, PAIRS_PAGE)
            sync_api.expect(ranks_shown).to_have_text(ranks[:2])  # the table draws lazily
            with page.expect_response(lambda r: "_dash-update-component" in r.url) as turned:
                page.click("#pairs-table button.next-page")
            sync_api.expect(ranks_shown).to_have_text(ranks[2:4])
            # the answer holds that page's rows, not the table's
            assert len(_records(turned.value.json())) == 2
            sort = "#pairs-table th[data-dash-column=units] .column-header--sort"
            page.click(sort)  # ascending
            page.click(sort)  # descending
            sync_api.expect(ranks_shown).to_have_text(
                [str(rank) for rank in by_units["impact_rank"].to_list()[:2]]
            )
            # typed in the filter row: the rows whose location contains it, still by units
            cell = page.locator(f"{FILTER_ROW}[data-dash-column=location_id] input[type=text]")
            cell.fill("S001")
            cell.press("Enter")
            picked = by_units.filter(by_units["location_id"] == "S001")
            sync_api.expect(ranks_shown).to_have_text(
                [str(rank) for rank in picked["impact_rank"].to_list()[:2]]
            )
    finally:
        context.close()


def _records(answer: dict) -> list:
    (table,) = [v for k, v in answer["response"].items() if "pairs-table" in k]
    return table["data"]
