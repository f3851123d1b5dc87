"""Issue 13, items 7 and 8, without a browser: one colour per category value on every page,
singular and plural, "unknown" channels filterable and unknown locations explained, a
reversed date range, tables paged on the server, and plotly.js served as a compressed
partial bundle. The browser half is tests/test_dashboards_browser_fixes.py."""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import brotli
import duckdb
import polars as pl
import pytest
from dash import dash_table, dcc
from dashboard_fixtures import (
    build_warehouse,
    components_in,
    find_component,
    publish_fixture_snapshot,
)
from plotly.offline import get_plotlyjs_version

from dashboards import theme
from dashboards.app import create_app, render_page
from dashboards.data import filter_options, snapshot_data
from dashboards.datatable import table_id
from dashboards.delivery import (
    BUNDLE_TRACE_TYPES,
    PLOTLY_BUNDLE,
    PLOTLY_URL,
    StaticCompressedCache,
    bundle_version,
)
from dashboards.filters import Filters
from dashboards.pages import PAGES, cycle_counts, exceptions, orders, returns
from dashboards.paging import parse_filter, view
from dashboards.snapshot import SnapshotReader, publish_snapshot
from dashboards.theme import UNKNOWN_COLOUR, category_colours, counted

# Filters under which every page draws: all dates, a channel, a region, one location.
FILTER_CASES = (
    Filters(),
    Filters(channels=("marketplace",)),
    Filters(regions=("south",)),
    Filters(start=date(2026, 3, 3), end=date(2026, 3, 9), locations=("S002",)),
)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory) -> Path:
    return publish_fixture_snapshot(tmp_path_factory.mktemp("fixes"))


@pytest.fixture(scope="module")
def drawn(snapshots) -> list[tuple[str, str, object]]:
    """(page slug, graph id, figure) of every graph every page draws under FILTER_CASES."""
    reader = SnapshotReader(snapshots)
    graphs = []
    for filters in FILTER_CASES:
        for page in PAGES:
            body, _ = render_page(reader, page.path, filters)
            assert "page-error" not in str(body), (page.slug, filters)
            graphs += [
                (page.slug, _element(graph.id), graph.figure) for graph in _all(body, dcc.Graph)
            ]
    return graphs


def _element(graph_id) -> str:
    """A graph's element id (its pattern id names it under "chart")."""
    return graph_id["chart"] if isinstance(graph_id, dict) else graph_id


@pytest.fixture
def data(snapshots):
    with snapshot_data(SnapshotReader(snapshots)) as opened:
        yield opened


def _all(component, kind) -> list:
    return [node for node in components_in(component) if isinstance(node, kind)]


def _colour(trace) -> str | None:
    """A trace's one colour (its markers', else its line's); None when it has several."""
    marker = getattr(trace, "marker", None)
    if marker is not None and isinstance(marker.color, str):
        return marker.color
    line = getattr(trace, "line", None)
    if line is not None and isinstance(getattr(line, "color", None), str):
        return line.color
    return None


# -- one colour per category value --------------------------------------------------------


def test_a_value_has_one_colour_on_every_chart_of_every_page(drawn):
    colours, pages = defaultdict(set), defaultdict(set)
    for slug, _, figure in drawn:
        for trace in figure.data:
            if trace.name and _colour(trace):
                colours[trace.name].add(_colour(trace))
                pages[trace.name].add(slug)
    assert {name: found for name, found in colours.items() if len(found) > 1} == {}
    # the check covers what the issue saw: exception types on two charts of /exceptions,
    # channels on /orders and the Overview, and marketplace as a channel and a source
    assert {"exceptions", "overview"} <= pages["oversell"]
    assert {"orders", "overview"} <= pages["web"]
    assert {"orders", "integrations"} <= pages["marketplace"]
    by_graph = {(slug, graph) for slug, graph, figure in drawn if "oversell" in _names(figure)}
    assert {("exceptions", "exceptions-by-workflow"), ("exceptions", "exceptions-by-location")} <= (
        by_graph
    )


def _names(figure) -> set[str]:
    return {trace.name for trace in figure.data if trace.name}


def test_category_colours_are_shared_by_name_distinct_within_a_category_unknown_grey():
    for category, values in theme.CATEGORY_VALUES.items():
        colours = category_colours(category, values)
        assert len(set(colours.values())) == len(values), category
    assert (
        category_colours("channel", ["marketplace"])["marketplace"]
        == category_colours("source_system", ["marketplace", "pos"])["marketplace"]
    )
    for category in ("channel", "region", "location_id", "stage"):
        assert category_colours(category, ["web", "unknown"])["unknown"] == UNKNOWN_COLOUR
    assert UNKNOWN_COLOUR not in theme.PALETTE


# -- singular and plural ------------------------------------------------------------------


def test_counted_reads_one_thing_and_many_things():
    assert counted(1, "request") == "1 request"
    assert counted(2, "request") == "2 requests"
    assert counted(0, "lane") == "0 lanes"
    assert counted(1250, "oversold line") == "1,250 oversold lines"
    assert counted(1.0, "move") == "1 move"
    assert counted(3.6, "move") == "4 moves"
    assert counted(1, "category", "categories") == "1 category"
    assert counted(4, "category", "categories") == "4 categories"


def test_one_of_a_kind_reads_singular(data):
    requests = cycle_counts.queries.cycle_count_requests(data, Filters())
    one = requests.head(1)
    assert "1 request by status" in cycle_counts.figures.cycle_count_status(one).layout.title.text
    by_location = exceptions.queries.exception_value_by_location(data, Filters(locations=("S002",)))
    figure = exceptions.figures.exception_value_by_location(by_location)
    assert "top 1 location<" in figure.layout.title.text


SINGULAR_WITH_S = re.compile(r"(?<![\d.,])1 (?!s\b|h\b|min\b|d\b)[a-z]+s\b")


def test_no_page_says_1_of_a_plural(drawn):
    texts = []
    for _, _, figure in drawn:
        texts.append(figure.layout.title.text or "")
        texts += [a.text or "" for a in figure.layout.annotations]
        for trace in figure.data:
            for attribute in ("text", "hovertext", "customdata"):
                value = getattr(trace, attribute, None)
                values = value if isinstance(value, list | tuple) else [value]
                texts += [v for v in values if isinstance(v, str)]
    assert [t for t in texts if SINGULAR_WITH_S.search(t)] == []
    assert any("1 " in t for t in texts)  # single counts are on the pages under these filters


# -- "unknown" channels and locations -----------------------------------------------------


@pytest.fixture(scope="module")
def unknown_channel(tmp_path_factory) -> Path:
    """The fixture plus one order line on day 4 whose sale recorded no channel."""
    folder = tmp_path_factory.mktemp("unknown")
    warehouse = build_warehouse(folder / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.fct_order_lines select * replace "
            "('O-4-x' as order_id, null as channel) "
            "from marts.fct_order_lines where order_id = 'O-4-2-w'"
        )
        publish_snapshot(con, folder / "snapshots")
    return folder / "snapshots"


def test_an_unknown_channel_is_offered_and_filters(unknown_channel):
    with snapshot_data(SnapshotReader(unknown_channel)) as data:
        assert filter_options(data)["channels"] == ["marketplace", "web", "unknown"]
        unknown = orders.queries.orders_by_day(data, Filters(channels=("unknown",)))
        web = orders.queries.orders_by_day(data, Filters(channels=("web",)))
    assert unknown.select("order_date", "channel", "order_lines").rows() == [
        (date(2026, 3, 4), "unknown", 1)
    ]
    # web: SKU2 daily, SKU1 daily but six a day on the promotion days 5-6
    assert "unknown" not in web["channel"].to_list()
    assert web["order_lines"].sum() == 10 + 8 + 2 * 6
    figure = orders.figures.oversells_by_channel(unknown)
    assert [(t.name, t.marker.color) for t in figure.data] == [("unknown", UNKNOWN_COLOUR)]


def test_a_chart_with_an_unknown_location_says_what_it_means():
    stalled = pl.DataFrame(
        {
            "location_id": ["S002", None],
            "stage": ["return_received", "return_received"],
            "value_at_cost": [10.0, 5.0],
        }
    )
    figure = returns.figures.stalled_by_location(stalled)
    assert set(figure.data[0].x) == {"S002", "unknown"}
    assert "unknown: no location recorded" in figure.layout.title.text
    known = returns.figures.stalled_by_location(stalled.head(1))
    assert "unknown" not in known.layout.title.text


# -- a reversed date range ----------------------------------------------------------------


def test_a_reversed_date_range_gets_a_message_on_the_pages_that_read_dates(snapshots):
    reader = SnapshotReader(snapshots)
    backwards = Filters(start=date(2026, 3, 9), end=date(2026, 3, 3))
    for page in PAGES:
        body, _ = render_page(reader, page.path, backwards)
        text = str(body)
        if "dates" in page.applies:
            message = find_component(body, "reversed-dates")
            assert "2026-03-09 back to 2026-03-03" in str(message.children)
            assert _all(body, dcc.Graph) == [] and "page-error" not in text
        else:  # the page shows what is open now: the dates do not matter
            assert "reversed-dates" not in text and _all(body, dcc.Graph)


# -- tables paged on the server -----------------------------------------------------------


def test_a_table_sends_its_first_page_and_the_filters_it_was_drawn_with(snapshots):
    reader = SnapshotReader(snapshots)
    filters = Filters(locations=("S002",))
    body, _ = render_page(reader, "/exceptions", filters)
    queue = find_component(body, table_id("exceptions-table"))
    assert isinstance(queue, dash_table.DataTable)
    assert (queue.page_action, queue.sort_action, queue.filter_action) == ("custom",) * 3
    with snapshot_data(reader) as opened:
        rows = exceptions.queries.exception_queue(opened, filters)
    assert len(queue.data) == min(rows.height, 25) and queue.page_count == 1
    assert [r["impact_rank"] for r in queue.data] == rows["impact_rank"].to_list()[:25]
    drawn_with = find_component(body, table_id("exceptions-table", "filters"))
    assert Filters.from_store(drawn_with.data) == filters


def test_the_filter_row_is_read_as_datatable_writes_it():
    assert [
        (t.column, t.op, t.value, t.ignore_case)
        for t in parse_filter(
            '{location_id} scontains S00 && {units} s> 5 && {detail} icontains "Not Posted" '
            "&& {opened_at} datestartswith 2026-03 && {age_h} ge 2.5 && {sku} = SKU1 && junk"
        )
    ] == [
        ("location_id", "contains", "S00", False),
        ("units", ">", "5", False),
        ("detail", "contains", "Not Posted", True),
        ("opened_at", "datestartswith", "2026-03", False),
        ("age_h", ">=", "2.5", False),
        ("sku", "=", "SKU1", False),
    ]


def test_view_filters_then_sorts_with_missing_values_last():
    frame = pl.DataFrame(
        {
            "location_id": ["S001", "S002", "DC01", "S002", None],
            "units": [5, 1, 9, 7, 3],
            "age_h": [1.004, 2.5, None, 8.0, 4.0],
            "detail": ["a", "Short ship", "short", "x", "y"],
        }
    )
    assert view(frame)["units"].to_list() == [5, 1, 9, 7, 3]  # the query's order
    assert view(frame, query="{location_id} scontains S0 && {units} s> 2")["units"].to_list() == [
        5,
        7,
    ]
    assert view(frame, query="{detail} icontains short")["units"].to_list() == [1, 9]
    assert view(frame, query="{detail} scontains short")["units"].to_list() == [9]
    assert view(frame, query="{age_h} = 1")["units"].to_list() == [5]  # shown as 1.0
    assert view(frame, query="{units} > many")["units"].to_list() == []
    assert view(frame, query="{nothing} = 1")["units"].to_list() == [5, 1, 9, 7, 3]
    ordered = view(frame, [{"column_id": "age_h", "direction": "desc"}])
    assert ordered["units"].to_list() == [7, 3, 1, 5, 9]
    by_two = view(
        frame,
        [
            {"column_id": "location_id", "direction": "asc"},
            {"column_id": "units", "direction": "desc"},
        ],
    )
    assert by_two["units"].to_list() == [9, 5, 7, 1, 3]


# -- plotly.js: the partial bundle, compressed ---------------------------------------------


def test_plotly_is_the_partial_bundle_of_the_version_plotly_ships():
    assert bundle_version() == get_plotlyjs_version()


def test_every_trace_on_every_page_is_one_the_partial_bundle_draws(drawn):
    types = {trace.type for _, _, figure in drawn for trace in figure.data}
    assert types and types <= BUNDLE_TRACE_TYPES


def test_responses_are_compressed_and_plotly_is_the_partial_bundle(snapshots):
    client = create_app(snapshots).server.test_client()
    bundle = PLOTLY_BUNDLE.read_bytes()
    for _ in range(2):  # the second answer comes from the cache
        response = client.get(PLOTLY_URL, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.data) == bundle
        assert len(response.data) < len(bundle) / 2
    zipped = client.get(PLOTLY_URL, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(zipped.data) == bundle
    plain = client.get(PLOTLY_URL)
    assert "Content-Encoding" not in plain.headers and plain.data == bundle
    layout = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert layout.headers["Content-Encoding"] == "gzip"
    assert b"filter-channel" in gzip.decompress(layout.data)


def test_only_static_files_are_kept_compressed():
    cache = StaticCompressedCache()
    cache.set("br;/_dash-component-suites/plotly/package_data/plotly.min.js?", b"js")
    cache.set("br;/assets/style.css?m=1", b"css")
    cache.set("br;/_dash-layout?", b"layout")
    cache.set("gzip;POST /_dash-update-component", b"answer")
    assert cache.get("br;/_dash-component-suites/plotly/package_data/plotly.min.js?") == b"js"
    assert cache.get("br;/assets/style.css?m=1") == b"css"
    assert cache.get("br;/_dash-layout?") is None
    assert cache.get("gzip;POST /_dash-update-component") is None
