"""Drill-down in headless Chromium, on the hand-made snapshot (tests/dashboard_fixtures.py):
an Overview tile opens its page, a figure its cases, a case its timeline; a chart mark opens
its own cases; a URL reproduces the filtered view; a CSV download holds the rows on screen.

The fixtures (the published snapshot, the server, the browser and a tab that fails the test
on any console error or failed request) are test_dashboards_browser's.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import test_dashboards_browser as shared

from dashboards.pages import PAGES_BY_PATH
from dashboards.screenshots import PAGE_DRAWN_JS, open_page

pytestmark = shared.pytestmark
# the shared fixtures: a module-scoped snapshot, server and browser, a tab per test
published, server, browser, tab = shared.published, shared.server, shared.browser, shared.tab
choose, expect = shared.choose, shared.sync_api.expect
OVERSELLS_TOTAL_JS = """
() => {
  const plot = document.querySelector('#orders-oversells .js-plotly-plot');
  if (!plot || !plot.data) return null;
  return plot.data.filter(t => t.type === 'bar')
    .reduce((sum, t) => sum + t.y.reduce((a, b) => a + (b || 0), 0), 0);
}
"""
# The centre of one bar (trace by name, bar by its x) of a graph, in page coordinates.
BAR_CENTRE_JS = """
([graph, series, x]) => {
  const plot = document.querySelector(`#${graph} .js-plotly-plot`);
  const trace = plot.data.findIndex(t => t.name === series);
  const point = plot.data[trace].x.findIndex(value => String(value).startsWith(x));
  const bar = plot.querySelectorAll('g.trace.bars')[trace].querySelectorAll('g.point')[point];
  bar.scrollIntoView({block: 'center'});
  const box = bar.getBoundingClientRect();
  return [box.x + box.width / 2, box.y + box.height / 2];
}
"""


def wait_drawn(tab, path: str) -> None:
    tab.wait_for_function(PAGE_DRAWN_JS, arg=PAGES_BY_PATH[path].heading, timeout=20_000)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def table_column(tab, element_id: str, column: str) -> list[str]:
    """The cells of one column of a table's page on screen."""
    cells = tab.locator(f"#{element_id} td[data-dash-column={column}]")
    cells.first.wait_for()  # the DataTable draws after the page
    return [cell.strip() for cell in cells.all_inner_texts()]


def open_case(tab, element_id: str, case_key: str) -> None:
    """Follow a table row's link to its case timeline."""
    key = tab.locator("td[data-dash-column=case_key]").get_by_text(case_key, exact=True)
    tab.locator(f"#{element_id} tr").filter(has=key).locator("a").click()


def test_tile_opens_its_page_then_the_cases_then_a_case_timeline(server, tab):
    open_page(tab, server.url, PAGES_BY_PATH["/overview"])
    # The return disposition tile opens the returns page in the default window (dbt's
    # current period, 03-03 .. 03-09), the filters in the URL
    tab.click("#tile-link-returns-disposition-time-p95-h")
    wait_drawn(tab, "/returns")
    assert urlsplit(tab.url).path == "/returns"
    assert query_of(tab.url) == {"start": ["2026-03-03"], "end": ["2026-03-09"]}
    # The stalled-returns figure lists its cases: R4 (86 h over its SLA) before R3 (62 h)
    tab.click("#returns-stalled-cases")
    wait_drawn(tab, "/cases")
    assert query_of(tab.url)["set"] == ["stalled-cases"]
    assert query_of(tab.url)["workflow"] == ["return"]
    expect(tab.locator("#cases-count")).to_have_text("2 cases")
    assert table_column(tab, "cases-table", "case_key") == ["R4|SKU2", "R3|SKU1"]
    assert table_column(tab, "cases-table", "hours_over_sla") == ["86", "62"]
    # R3 opens its timeline: initiated on the marketplace, received at S002 18 h later,
    # inspected for restock 72 h after that and never restocked: stalled at
    # return_inspected, 62 h past its 72 h SLA (due 03-08 09:00)
    open_case(tab, "cases-table", "R3|SKU1")
    wait_drawn(tab, "/timeline")
    assert query_of(tab.url)["case"] == ["R3|SKU1"]
    expect(tab.locator("#timeline-stage")).to_have_text("return_inspected")
    expect(tab.locator("#timeline-status")).to_have_text("stalled: past its SLA")
    expect(tab.locator("#timeline-sla")).to_have_text("72.0 h")
    expect(tab.locator("#timeline-due")).to_have_text("2026-03-08 09:00 (62.0 h over)")
    assert table_column(tab, "timeline-events", "event_type") == [
        "return_initiated",
        "return_received",
        "return_inspected",
    ]
    assert table_column(tab, "timeline-events", "source_system") == ["marketplace", "pos", "pos"]
    assert table_column(tab, "timeline-events", "wait") == ["", "18.0 h", "3.0 d"]
    markers = tab.evaluate(
        "() => document.querySelector('#timeline-chart .js-plotly-plot').data[1].text"
    )
    assert markers == ["return_initiated", "return_received", "return_inspected"]
    expect(tab.locator("#timeline-exceptions")).to_contain_text("stalled at return_inspected")


def test_a_chart_mark_opens_its_own_cases(server, tab):
    open_page(tab, server.url, PAGES_BY_PATH["/orders"])
    x, y = tab.evaluate(BAR_CENTRE_JS, ["orders-oversells", "web", "2026-03-06"])
    tab.mouse.click(x, y)
    wait_drawn(tab, "/cases")
    query = query_of(tab.url)
    assert (query["set"], query["channel"]) == (["oversold-lines"], ["web"])
    assert (query["start"], query["end"]) == (["2026-03-06"], ["2026-03-06"])
    assert table_column(tab, "cases-table", "case_key") == ["O-6-1-0|SKU1", "O-6-1-1|SKU1"]
    # the filter bar shows what the mark chose
    expect(tab.locator("#filter-channel")).to_contain_text("web")
    # an oversold line's timeline: confirmed at S002 a minute after the request, cancelled
    # out of stock 6 h later
    open_case(tab, "cases-table", "O-6-1-1|SKU1")
    wait_drawn(tab, "/timeline")
    assert table_column(tab, "timeline-events", "wait") == ["", "0 s", "60 s", "6.0 h"]
    expect(tab.locator("#timeline-status")).to_have_text("closed")


def test_a_shared_url_reproduces_the_filtered_view(server, tab):
    shared = "/orders?start=2026-03-05&end=2026-03-08&channel=marketplace"
    tab.goto(server.url + shared)
    wait_drawn(tab, "/orders")
    assert tab.evaluate(OVERSELLS_TOTAL_JS) == 1  # marketplace oversold once, on day 8
    expect(tab.locator("#filter-channel")).to_contain_text("marketplace")
    assert tab.input_value("#filter-dates") == "2026-03-05"
    assert tab.input_value("#filter-dates-end-date") == "2026-03-08"
    # the navigation keeps the filters; a new filter goes into the URL
    assert tab.get_attribute("#nav-overview", "href") == "/overview?" + shared.split("?")[1]
    choose(tab, "filter-region", "south")
    tab.wait_for_function("() => location.search.includes('region=south')")
    assert query_of(tab.url) == {
        "start": ["2026-03-05"],
        "end": ["2026-03-08"],
        "channel": ["marketplace"],
        "region": ["south"],
    }
    # the back button steps back to the shared view, the reset button to the default one
    tab.go_back()
    tab.wait_for_function("() => !location.search.includes('region')")
    expect(tab.locator("#filter-region")).not_to_contain_text("south")
    tab.click("#filter-reset")
    tab.wait_for_function("() => location.search === ''")
    tab.wait_for_function(f"({OVERSELLS_TOTAL_JS})() === 4")
    assert tab.input_value("#filter-dates") == "2026-03-03"


def test_odd_url_parameters_are_ignored(server, tab):
    odd = "/orders?start=yesterday&end=2026-02-30&channel=web%27%20or%20%271%27%3D%271&location=S9"
    tab.goto(server.url + odd)
    wait_drawn(tab, "/orders")
    # the default window and every channel and location: all four oversells
    assert tab.evaluate(OVERSELLS_TOTAL_JS) == 4
    assert tab.input_value("#filter-dates") == "2026-03-03"
    tab.goto(server.url + "/cases?set=no-such-list")
    wait_drawn(tab, "/cases")
    expect(tab.locator("#cases-index")).to_contain_text("There is no list of cases")


WHOLE_RANGE = "start=2026-03-01&end=2026-03-10"


def read_download(tab, button: str) -> list[list[str]]:
    with tab.expect_download() as download:
        tab.click(button)
    return list(csv.reader(io.StringIO(download.value.path().read_text())))


def test_csv_downloads_every_row_the_table_keeps(server, tab):
    # eleven failed reservations over the ten days: a page of ten on screen, all in the file
    tab.goto(server.url + f"/cases?set=failed-reservations&{WHOLE_RANGE}")
    wait_drawn(tab, "/cases")
    assert len(table_column(tab, "cases-table", "case_key")) == 10
    button = "#cases-table .csv-button"
    rows = read_download(tab, button)
    assert rows[0] == ["timeline", "order line", "failed", "channel", "location", "reason", "units"]
    assert rows[1] == [
        f"/timeline?{WHOLE_RANGE}&workflow=order&case=O-1-2-m%7CSKU2",
        "O-1-2-m|SKU2", "2026-03-01 10:00", "marketplace", "S002", "insufficient_stock", "1",
    ]  # fmt: skip
    assert [row[1] for row in rows[1:]] == [
        *(f"O-{d}-2-m|SKU2" for d in range(1, 8)),
        "O-8-2-m|SKU1",
        "O-9-2-m|SKU2",
        "O-10-2-w|SKU2",  # its timeout at 10:00:05 comes before 10:00:15
        "O-10-2-m|SKU2",
    ]
    # the table's own filter narrows what is on screen, and the file with it: the two
    # failures at S001 (day 8's marketplace line and day 10's web line, a timeout)
    tab.fill("#cases-table th.dash-filter[data-dash-column=location_id] input", "S001")
    tab.keyboard.press("Enter")
    expect(tab.locator("#cases-table td[data-dash-column=location_id]")).to_have_count(2)
    assert [row[1:] for row in read_download(tab, button)[1:]] == [
        ["O-8-2-m|SKU1", "2026-03-08 10:00", "marketplace", "S001", "insufficient_stock", "1"],
        ["O-10-2-w|SKU2", "2026-03-10 10:00", "web", "S001", "timeout", "1"],
    ]


# The centre of one heatmap cell (its column x, its row y) of a graph, in page coordinates.
CELL_CENTRE_JS = """
([graph, x, y]) => {
  const plot = document.querySelector(`#${graph} .js-plotly-plot`);
  plot.scrollIntoView({block: 'center'});
  const {xaxis, yaxis} = plot._fullLayout;
  const box = plot.getBoundingClientRect();
  return [box.x + xaxis._offset + xaxis.d2p(x), box.y + yaxis._offset + yaxis.d2p(y)];
}
"""


def test_a_duration_tile_opens_its_page_then_the_cases_it_measures_then_a_timeline(server, tab):
    open_page(tab, server.url, PAGES_BY_PATH["/overview"])
    # The reservation latency p95 tile opens the orders page in the default window
    tab.click("#tile-link-reservation-latency-p95-s")
    wait_drawn(tab, "/orders")
    assert urlsplit(tab.url).path == "/orders"
    assert query_of(tab.url) == {"start": ["2026-03-03"], "end": ["2026-03-09"]}
    # The latency histogram lists the reservations it measures, slowest first, each against
    # the period's p50 (8 s) and p95 (97.5 s, the tile's): days 3-9, 2 .. 120 s
    tab.click("#orders-latency-cases")
    wait_drawn(tab, "/cases")
    assert query_of(tab.url)["set"] == ["slow-reservations"]
    expect(tab.locator("#cases-count")).to_have_text("7 cases")
    expect(tab.locator("#cases-percentiles")).to_contain_text("p50 8.0 s · p95 2 min")
    assert table_column(tab, "cases-table", "latency_s")[:3] == ["120", "45", "20"]
    assert table_column(tab, "cases-table", "band")[:4] == [
        "above p95",
        "above p50",
        "above p50",
        "p50 or below",
    ]
    # The slowest opens its timeline: requested at S002, confirmed 2 min later, fulfilled
    # there and posted; an order line names no transfer, and says why
    open_case(tab, "cases-table", "O-9-2-w|SKU2")
    wait_drawn(tab, "/timeline")
    assert query_of(tab.url)["case"] == ["O-9-2-w|SKU2"]
    assert table_column(tab, "timeline-events", "event_type") == [
        "order_placed",
        "reservation_requested",
        "reservation_confirmed",
        "order_fulfilled",
    ]
    assert table_column(tab, "timeline-events", "wait") == ["", "0 s", "2 min", "5.0 h"]
    expect(tab.locator("#timeline-reservations")).to_contain_text(
        "S002: 1 requested, 1 confirmed, 0 failed"
    )
    expect(tab.locator("#timeline-transfer")).to_contain_text(
        "No transfer is linked to this order line"
    )
    expect(tab.locator("#timeline-postings")).to_contain_text("posted by post-9w 1.0 h later")


def test_a_heatmap_cell_opens_the_cases_of_its_sku_and_day(server, tab):
    open_page(tab, server.url, PAGES_BY_PATH["/orders"])
    # SKU1's cell on 03-06 (two web lines oversold during the promotion)
    x, y = tab.evaluate(CELL_CENTRE_JS, ["orders-oversold-skus", "2026-03-06", "SKU1"])
    tab.mouse.click(x, y)
    wait_drawn(tab, "/cases")
    query = query_of(tab.url)
    assert (query["set"], query["sku"]) == (["oversold-lines"], ["SKU1"])
    assert (query["start"], query["end"]) == (["2026-03-06"], ["2026-03-06"])
    expect(tab.locator("#cases-count")).to_have_text("2 cases")
    assert table_column(tab, "cases-table", "case_key") == ["O-6-1-0|SKU1", "O-6-1-1|SKU1"]
