"""Drill-down without a browser, on the hand-made snapshot (tests/dashboard_fixtures.py): the
URL as the view, the links from a figure and a KPI to their cases, the case lists (each
counting the rows of the figure it explains), the case timeline and the CSV of a table."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import plotly.graph_objects as go
import polars as pl
import pytest
from dashboard_fixtures import find_component, publish_fixture_snapshot

from dashboards.app import _filter_defaults, mark_link, render_page
from dashboards.data import snapshot_data
from dashboards.drills import FIGURE_CASES, KPI_EXPLAINED_BY
from dashboards.export import csv_text
from dashboards.filters import Filters, global_search
from dashboards.kpi_queries import kpi_catalog
from dashboards.links import Drill
from dashboards.pages import PAGES, PAGES_BY_PATH
from dashboards.pages.cases.queries import CASE_SETS, cases
from dashboards.pages.orders.queries import orders_by_day
from dashboards.snapshot import SnapshotReader

WINDOW = Filters(date(2026, 3, 3), date(2026, 3, 9))  # the fixture's default window
CASES = ["case_workflow", "case_key", "case_event"]  # how a listed row names its case


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    return publish_fixture_snapshot(tmp_path_factory.mktemp("drilldown"))


@pytest.fixture
def data(snapshots):
    with snapshot_data(SnapshotReader(snapshots)) as opened:
        yield opened


def query(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query, keep_blank_values=True)


# -- the URL is the view ------------------------------------------------------------------


def test_a_url_names_the_filters_and_the_page_parameters():
    default = (date(2026, 3, 3), date(2026, 3, 9))
    view = Filters.from_url(
        "?start=2026-03-05&end=&channel=web&channel=web&channel=store&set=oversold-lines", *default
    )
    assert view == Filters(
        date(2026, 3, 5), None, ("web", "store"), page_params=(("set", "oversold-lines"),)
    )
    assert Filters.from_url(view.to_url(set="oversold-lines"), *default) == view
    assert view.param("set") == "oversold-lines" and view.param("case") is None
    # absent or unreadable dates are the default window; an empty one is open-ended
    assert Filters.from_url("", *default) == Filters(*default)
    assert Filters.from_url("?start=yesterday&end=2026-02-30", *default) == Filters(*default)
    # keys that are not lower-case words, overlong values: dropped
    odd = Filters.from_url("?Channel=web&x-y=1&channel=" + "w" * 201, *default)
    assert odd == Filters(*default)


def test_the_url_keeps_only_what_the_filter_bar_offers(snapshots):
    defaults = _filter_defaults(SnapshotReader(snapshots))
    hostile = "?channel=web%27%20or%20%271%27%3D%271&channel=web&region=mars&location=S002"
    assert defaults.url_filters(hostile) == Filters(
        WINDOW.start, WINDOW.end, ("web",), (), ("S002",)
    )


def test_the_navigation_keeps_the_global_filters_as_written():
    search = "?set=oversold-lines&channel=web&start=&case=x"
    assert global_search(search) == "?channel=web&start="
    assert global_search("?set=x") == ""
    assert global_search(search, (("set", "y"),)) == "?channel=web&start=&set=y"


# -- links from figures and KPIs ------------------------------------------------------------


def _ids(component) -> set[str]:
    found, stack = set(), [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if isinstance(getattr(node, "id", None), str):
            found.add(node.id)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


def test_every_drill_names_a_drawn_figure_a_page_and_a_case_set(snapshots, data):
    reader = SnapshotReader(snapshots)
    drawn = set().union(*(_ids(render_page(reader, page.path, WINDOW)[0]) for page in PAGES))
    assert set(FIGURE_CASES) <= drawn
    # each drawn figure with cases has the link to them under it
    assert {f"{figure}-cases" for figure in FIGURE_CASES} <= drawn
    catalog = kpi_catalog(data)
    assert set(KPI_EXPLAINED_BY) == set(catalog)
    drills = [*FIGURE_CASES.values(), *(d for _, d in KPI_EXPLAINED_BY.values() if d)]
    assert {drill.cases for drill in drills} <= set(CASE_SETS)
    assert {f"/{page}" for page, _ in KPI_EXPLAINED_BY.values()} <= set(PAGES_BY_PATH)


def test_a_tile_links_its_page_and_cases_with_the_filters(snapshots):
    body, _ = render_page(SnapshotReader(snapshots), "/overview", WINDOW)
    tile = find_component(body, "tile-oversell-incidents")
    assert find_component(tile, "tile-link-oversell-incidents").href == (
        "/orders?start=2026-03-03&end=2026-03-09"
    )
    assert query(find_component(tile, "tile-cases-oversell-incidents").href) == {
        "start": ["2026-03-03"],
        "end": ["2026-03-09"],
        "set": ["oversold-lines"],
    }
    # a duration lists the cases it measures: the reservations, slowest first
    latency = find_component(body, "tile-cases-reservation-latency-p95-s")
    assert query(latency.href)["set"] == ["slow-reservations"]
    # every KPI of the catalog lists the cases behind it
    assert all(drill is not None for _, drill in KPI_EXPLAINED_BY.values())


def test_each_mark_carries_the_link_to_its_own_cases():
    figure = go.Figure()
    figure.add_bar(name="web", x=[date(2026, 3, 5), date(2026, 3, 6)], y=[1, 2])
    figure.add_bar(name="open", x=["order"], y=[9], orientation="v")
    figure.add_scatter(x=[1, 2], y=[1, 1], hoverinfo="skip")  # a connector: no marks
    Drill("oversold-lines", along="day", series="channel").mark_links(figure, Filters())
    web, _, connector = figure.data
    assert query(web.ids[1]) == {
        "start": ["2026-03-06"],
        "end": ["2026-03-06"],
        "channel": ["web"],
        "set": ["oversold-lines"],
    }
    assert connector.ids is None
    # the click handler follows only this app's lists of cases
    assert mark_link({"points": [{"id": web.ids[1]}]}) == web.ids[1]
    assert mark_link({"points": [{"id": "https://example.com/cases?x"}]}) is None
    assert mark_link({"points": [{"x": 1}]}) is None and mark_link(None) is None


def test_a_mark_narrows_facets_of_the_set_and_the_global_filters():
    drill = Drill("stalled-cases", (("workflow", "return"),), along="location", series="stage")
    assert query(drill.link(WINDOW, location="S002", stage="return_received")) == {
        "start": ["2026-03-03"],
        "end": ["2026-03-09"],
        "location": ["S002"],
        "set": ["stalled-cases"],
        "workflow": ["return"],
        "stage": ["return_received"],
    }


# -- the lists of cases -----------------------------------------------------------------------


def listed(data, slug: str, filters: Filters = WINDOW, **facets: str) -> pl.DataFrame:
    params = tuple(facets.items())
    return cases(data, CASE_SETS[slug], Filters(**{**vars(filters), "page_params": params}))


def test_the_oversold_lines_are_the_oversells_figure_counts(data):
    for channel, expected in (("web", 3), ("marketplace", 1)):
        filters = Filters(WINDOW.start, WINDOW.end, (channel,))
        lines = listed(data, "oversold-lines", filters)
        assert lines.height == expected == orders_by_day(data, filters)["oversells"].sum()
    assert listed(data, "oversold-lines")["case_key"].to_list() == [
        "O-5-1-0|SKU1",
        "O-6-1-0|SKU1",
        "O-6-1-1|SKU1",
        "O-8-2-m|SKU1",
    ]
    assert listed(data, "oversold-lines", sku="SKU2").is_empty()


def test_each_list_names_its_cases(data):
    assert listed(data, "short-transfers")["case_key"].to_list() == []  # shipped 03-01, 03-02
    everything = Filters(date(2026, 3, 1), date(2026, 3, 10))
    short = listed(data, "short-transfers", everything, lane="DC01 → S002")
    assert short["case_key"].to_list() == ["T-B0|SKU2", "T-B1|SKU2"]
    # the window's failed reservations: the marketplace lines of days 3 .. 9
    failed = listed(data, "failed-reservations")
    assert failed["case_key"].to_list() == [
        *(f"O-{d}-2-m|SKU2" for d in range(3, 8)),
        "O-8-2-m|SKU1",
        "O-9-2-m|SKU2",
    ]
    assert listed(data, "failed-reservations", everything, reason="timeout").height == 1
    stalled = listed(data, "stalled-cases", workflow="return")
    assert stalled["case_key"].to_list() == ["R4|SKU2", "R3|SKU1"]  # 86 h, then 62 h over
    # an exception opens the case it is about, an unposted move its event, negative stock none
    queue = listed(data, "open-exceptions").select("reference_id", *CASES)
    assert {row[0]: row[1:] for row in queue.rows()} == {
        "S002|SKU1": (None, None, None),
        "e-91": (None, None, "e-91"),
        "O-8-2-m|SKU1": ("order", "O-8-2-m|SKU1", None),
        "return:R3|SKU1": ("return", "R3|SKU1", None),
        "e-77": (None, None, "e-77"),
        "O-10-2-w|SKU2": ("order", "O-10-2-w|SKU2", None),
    }


def test_the_cases_page_lists_a_set_with_a_link_per_case(snapshots):
    reader = SnapshotReader(snapshots)
    filters = Filters(WINDOW.start, WINDOW.end, page_params=(("set", "oversold-lines"),))
    body, _ = render_page(reader, "/cases", filters)
    assert find_component(body, "cases-count").children == "4 cases"
    rows = find_component(body, "cases-table").data
    assert rows[0]["case_key"] == "O-5-1-0|SKU1"
    assert rows[0]["case_href"] == (
        "[open](/timeline?start=2026-03-03&end=2026-03-09&workflow=order&case=O-5-1-0%7CSKU1)"
    )
    assert find_component(body, "cases-page").href == "/orders?start=2026-03-03&end=2026-03-09"
    for page_params in ((), (("set", "nothing-like-this"),)):
        body, _ = render_page(reader, "/cases", Filters(page_params=page_params))
        assert len(find_component(body, "cases-index").children[1].children) == len(CASE_SETS)


def test_a_table_downloads_as_csv_with_its_links_as_urls():
    columns = [
        {"id": "case_href", "name": "timeline", "presentation": "markdown"},
        {"id": "case_key", "name": "order line"},
        {"id": "units", "name": "units"},
    ]
    records = [
        {"case_href": "[open](/timeline?case=O-1%7CX)", "case_key": "[a](b)", "units": 2},
        {"case_href": None, "case_key": "O-2|X", "units": 1, "not shown": "x"},
    ]
    assert csv_text(records, columns) == (
        "timeline,order line,units\n/timeline?case=O-1%7CX,[a](b),2\n,O-2|X,1\n"
    )


# -- the case timeline ------------------------------------------------------------------------


def timeline(snapshots, **params: str):
    filters = Filters(page_params=tuple(params.items()))
    body, _ = render_page(SnapshotReader(snapshots), "/timeline", filters)
    assert "page-error" not in str(body)
    return body


def test_the_timeline_shows_a_stalled_case_its_waits_and_sla(snapshots):
    body = timeline(snapshots, workflow="return", case="R3|SKU1")
    assert find_component(body, "timeline-stage").children == "return_inspected"
    assert find_component(body, "timeline-status").children == "stalled: past its SLA"
    assert find_component(body, "timeline-due").children == "2026-03-08 09:00 (62.0 h over)"
    events = find_component(body, "timeline-events").data
    assert [(e["event_type"], e["wait"]) for e in events] == [
        ("return_initiated", None),
        ("return_received", "18.0 h"),
        ("return_inspected", "3.0 d"),
    ]
    figure = find_component(body, "timeline-chart").figure
    assert [a.text for a in figure.layout.annotations if a.text.endswith(("h", "d"))] == [
        "18.0 h",
        "3.0 d",
    ]


def test_the_timeline_links_an_order_line_to_its_reservations_postings_and_lines(snapshots):
    # day 7's marketplace line: failed at S002, reserved at S001, fulfilled and never posted
    body = timeline(snapshots, event="O-7-2-m|SKU2#6")
    assert "O-7-2-m|SKU2" in find_component(body, "timeline-case").children
    reservations = str(find_component(body, "timeline-reservations"))
    assert "S002: 1 requested, 0 confirmed, 1 failed" in reservations
    assert "S001: 1 requested, 1 confirmed, 0 failed" in reservations
    assert "not posted to the ERP" in str(find_component(body, "timeline-postings"))
    posted = timeline(snapshots, workflow="order", case="O-6-2-m|SKU2")
    assert "posted by post-6 1.0 h later" in str(find_component(posted, "timeline-postings"))


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"event": "e-77"}, "belongs to no order, transfer, return or purchase order case"),
        ({"workflow": "order", "case": "nope"}, "No order case nope in the snapshot"),
        ({}, "Open a case from a list of cases"),
    ],
)
def test_the_timeline_explains_what_it_cannot_show(snapshots, params, says):
    assert says in str(timeline(snapshots, **params))
