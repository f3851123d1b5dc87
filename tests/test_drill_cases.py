"""The cases behind the duration and state figures, on the hand-made snapshot
(tests/dashboard_fixtures.py): each list holds the rows its KPI counts or measures, slowest
first, banded against the KPI's own p50 and p95 over the same filters; the figures' marks
(a heatmap cell, a dumbbell's location, a process-map step) open them; the risk page explains
an unknown region; an order line's timeline says why no transfer is linked."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import duckdb
import polars as pl
import pytest
from dashboard_fixtures import RISK_THRESHOLD, build_warehouse, components_in, find_component
from dashboard_fixtures import publish_fixture_snapshot as publish

from dashboards.app import mark_link, render_page
from dashboards.data import snapshot_data
from dashboards.filters import Filters
from dashboards.kpi_queries import kpi_values
from dashboards.links import with_case_links
from dashboards.pages.cases.queries import CASE_SETS, cases
from dashboards.pages.timeline.layout import NO_TRANSFER
from dashboards.snapshot import SnapshotReader, publish_snapshot

WINDOW = Filters(date(2026, 3, 3), date(2026, 3, 9))  # the fixture's default window
EVERYTHING = Filters(date(2026, 3, 1), date(2026, 3, 10))  # day 10 is after the horizon


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    return publish(tmp_path_factory.mktemp("drill-cases"))


@pytest.fixture
def data(snapshots):
    with snapshot_data(SnapshotReader(snapshots)) as opened:
        yield opened


def listed(data, slug: str, filters: Filters = WINDOW, **facets: str) -> pl.DataFrame:
    narrowed = Filters(**{**vars(filters), "page_params": tuple(facets.items())})
    return cases(data, CASE_SETS[slug], narrowed)


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple]:
    return frame.select(columns).rows()


def query(link: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(link).query, keep_blank_values=True)


# -- the cases a percentile KPI measures ----------------------------------------------------


def test_reservations_slowest_first_banded_by_the_tiles_p50_and_p95(data):
    """Days 3-9 confirm after 2, 3, 4, 8, 20, 45 and 120 s (day 10's 4000 s is after the
    horizon): p50 8 s, p95 45 + 0.7 x 75 = 97.5 s, the tile's (kpi_period)."""
    latency = listed(data, "slow-reservations")
    assert rows(latency, "case_key", "latency_s", "location_id", "band") == [
        ("O-9-2-w|SKU2", 120.0, "S002", "above p95"),
        ("O-8-2-w|SKU2", 45.0, "S001", "above p50"),
        ("O-7-2-w|SKU2", 20.0, "S002", "above p50"),
        ("O-6-2-w|SKU2", 8.0, "S001", "p50 or below"),  # the median itself
        ("O-5-2-w|SKU2", 4.0, "S002", "p50 or below"),
        ("O-4-2-w|SKU2", 3.0, "S001", "p50 or below"),
        ("O-3-2-w|SKU2", 2.0, "S002", "p50 or below"),
    ]
    values = kpi_values(data, ("reservation_latency_p95_s",), WINDOW)
    assert values.value("reservation_latency_p95_s") == pytest.approx(97.5)
    assert values.frame["observations"][0] == latency.height  # the cases the KPI measures
    # the histogram's bucket narrows the list; the whole range stops at the horizon's day
    assert listed(data, "slow-reservations", bucket="1–5 min")["case_key"].to_list() == [
        "O-9-2-w|SKU2"
    ]
    assert listed(data, "slow-reservations", EVERYTHING).height == 9
    # web alone (days 3-6: 2, 3, 4, 8 s): p50 3.5 s, p95 4 + 0.85 x 4 = 7.4 s
    web = listed(data, "slow-reservations", Filters(WINDOW.start, WINDOW.end, ("web",)))
    assert rows(web, "latency_s", "band") == [
        (8.0, "above p95"),
        (4.0, "above p50"),
        (3.0, "p50 or below"),
        (2.0, "p50 or below"),
    ]


def test_transfer_lines_follow_the_kpis_shipping_location(data):
    """transfer_cycle_time is cut by the origin: a location filter on the destination S002
    finds no line, the origin DC01 all seven (days 1-4; 24 h and 48 h: p50 = p95 = 48 h)."""
    everything = listed(data, "transfer-cycle-times", EVERYTHING)
    assert rows(everything, "case_key", "cycle_time_h", "band") == [
        *((f"T-B{n}|SKU2", 48.0, "p50 or below") for n in range(4)),
        *((f"T-A{n}|SKU1", 24.0, "p50 or below") for n in range(3)),
    ]
    at = Filters(EVERYTHING.start, EVERYTHING.end, locations=("S002",))
    assert listed(data, "transfer-cycle-times", at).is_empty()
    at = Filters(EVERYTHING.start, EVERYTHING.end, locations=("DC01",))
    assert listed(data, "transfer-cycle-times", at).height == 7
    assert listed(data, "transfer-cycle-times", EVERYTHING, lane="DC01 → S001").height == 3


def test_returns_by_disposition_time(data):
    """Inspected returns over the whole range: 3, 6 and 72 h: p50 6 h, p95 6 + 0.9 x 66 =
    65.4 h. R4, never inspected, is measured by no KPI (it is on the stalled list)."""
    returns = listed(data, "return-dispositions", EVERYTHING)
    assert rows(returns, "case_key", "disposition_time_h", "band") == [
        ("R3|SKU1", 72.0, "above p95"),
        ("R2|SKU2", 6.0, "p50 or below"),
        ("R1|SKU1", 3.0, "p50 or below"),
    ]
    # a channel filter narrows the list, but the KPI is not reported by channel: no band
    web = listed(data, "return-dispositions", Filters(EVERYTHING.start, None, ("web",)))
    assert rows(web, "case_key", "band") == [("R2|SKU2", None), ("R1|SKU1", None)]


def test_stock_moves_by_posting_lag(data):
    """Days 3-9: 352 postings: 252 after 1 h (250 sales, the receipts of T-B0 and T-B1), 28
    after 4 h, 70 shipments after 7.5 .. 10.5 h and day 4's two sales after 30 h. p50 1 h; p95
    at rank 333.45 of 352, between two 10 h postings: 10 h."""
    lags = listed(data, "posting-lags")
    assert lags.height == 352
    assert lags["band"].value_counts(sort=True).rows() == [
        ("p50 or below", 252),
        ("above p50", 88),
        ("above p95", 12),
    ]
    assert rows(lags.head(3), "event_id", "reconciliation_time_h") == [
        ("m-4-00", 30.0),
        ("m-4-01", 30.0),
        ("m-9-40", 10.5),
    ]
    # a move of a workflow case opens its timeline; a POS sale belongs to none
    receipts = with_case_links(listed(data, "posting-lags", event_type="transfer_received"), WINDOW)
    assert rows(receipts, "event_id", "case_event") == [
        ("T-B0|SKU2#3", "T-B0|SKU2#3"),
        ("T-B1|SKU2#3", "T-B1|SKU2#3"),
    ]
    assert receipts["case_href"][0] == (
        "/timeline?start=2026-03-03&end=2026-03-09&event=T-B0%7CSKU2%233"
    )
    assert lags.filter(pl.col("event_type") == "sale")["case_event"].null_count() == 250 + 28 + 2


def test_moves_posted_late_are_the_unreconciled_ones(data):
    """Judged (24 h old at the horizon) and not posted within 24 h: e-77 never posted (62 h
    old), day 4's two sales posted after 30 h; e-91 (14 h old) is not judged yet."""
    late = listed(data, "late-postings", EVERYTHING)
    assert rows(late, "event_id", "reconciliation_time_h", "age_h") == [
        ("e-77", None, 62.0),
        ("m-4-00", 30.0, 133.0),
        ("m-4-01", 30.0, pytest.approx(132.9833, abs=1e-3)),
    ]
    assert listed(data, "late-postings", EVERYTHING, source="wms").is_empty()


# -- the cases behind the state and integration figures -----------------------------------------


def test_counts_stockouts_calls_disruptions_and_feeds(data):
    counts = listed(data, "cycle-counts")
    assert rows(counts, "count_id", "variance_quantity", "accurate") == [
        ("CNT1", -2, "no"),
        ("CNT2", 0, "yes"),
    ]  # CNT3 (day 2) is before the window
    stockouts = listed(data, "stockouts", EVERYTHING)
    assert rows(stockouts, "location_id", "sku", "position_date", "closing_quantity") == [
        ("S002", "SKU1", date(2026, 3, 9), -5),  # day 10's is after the horizon
        ("S002", "SKU1", date(2026, 3, 8), -5),
        ("S001", "SKU2", date(2026, 3, 5), 0),
    ]  # SKU1 at S001 at -1 on day 4 had no stock snapshot: no stockout
    calls = listed(data, "failed-api-calls")
    assert calls["occurred_at"].dt.strftime("%d %H:%M").to_list() == [
        *(f"04 10:0{m}" for m in range(5)),
        *(f"09 20:0{m}" for m in range(3)),
    ]
    assert listed(data, "failed-api-calls", EVERYTHING, integration="pos_feed").height == 1
    disruptions = listed(data, "disruptions")
    assert rows(disruptions, "disruption_id", "recovery_time_min") == [
        ("oms_erp:2", None),  # still failing: first
        ("oms_erp:1", 30.0),
    ]
    feeds = listed(data, "source-lags", source="pos")
    assert rows(feeds, "lag_p95_min", "events") == [(30.0, 200.0)] * 7
    assert listed(data, "source-lags")["source_system"][0] == "marketplace"
    # none of these is a workflow case: no timeline
    for frame in (counts, stockouts, calls, disruptions, feeds):
        assert with_case_links(frame, WINDOW)["case_href"].null_count() == frame.height


def test_the_skus_of_cycle_count_requests(data):
    counted = listed(data, "count-request-lines", status="counted")
    assert rows(counted, "request_id", "priority", "sku", "expected_discrepancy_value") == [
        ("CC-1", 1, "SKU1", 30.0),
        ("CC-1", 2, "SKU2", 8.0),
    ]  # 38: CC-1's value at stake
    assert rows(listed(data, "count-request-lines", request="CC-2"), "location_id", "sku") == [
        ("DC01", "SKU1")
    ]


def test_the_cases_of_a_process_map_step(data):
    """R4 waited 21 h from initiation to receipt (03-03 12:00 -> 03-04 09:00), R3 18 h; the
    dates do not apply (the map covers the whole history)."""
    step = {"workflow": "return", "from": "return_initiated", "to": "return_received"}
    received = listed(data, "transitions", Filters(), **step)
    assert rows(received, "case_key", "took_s") == [("R4|SKU2", 75600.0), ("R3|SKU1", 64800.0)]
    assert with_case_links(received, Filters())["case_href"][0] == (
        "/timeline?start=&end=&workflow=return&case=R4%7CSKU2"
    )
    failed = listed(data, "transitions", **{**step, "workflow": "order", "to": "order_fulfilled"})
    assert failed.is_empty()  # no order starts with return_initiated


# -- the figures open them --------------------------------------------------------------------


def test_a_duration_tile_lists_the_cases_it_measures(snapshots):
    body, _ = render_page(SnapshotReader(snapshots), "/overview", WINDOW)
    for tile, slug in (
        ("reservation-latency-p95-s", "slow-reservations"),
        ("returns-disposition-time-p95-h", "return-dispositions"),
        ("reconciliation-time-p95-h", "posting-lags"),
        ("unreconciled-events", "late-postings"),
        ("inventory-record-accuracy", "cycle-counts"),
        ("stockout-rate", "stockouts"),
        ("api-failure-rate", "failed-api-calls"),
    ):
        assert query(find_component(body, f"tile-cases-{tile}").href)["set"] == [slug]


def test_the_cases_page_shows_the_percentiles_it_bands_by(snapshots):
    filters = Filters(WINDOW.start, WINDOW.end, page_params=(("set", "slow-reservations"),))
    body, _ = render_page(SnapshotReader(snapshots), "/cases", filters)
    assert find_component(body, "cases-count").children == "7 cases"
    assert find_component(body, "cases-percentiles").children.startswith(
        "p50 8.0 s · p95 2 min over"
    )
    first = find_component(body, "cases-table").data[0]
    assert (first["case_key"], first["band"]) == ("O-9-2-w|SKU2", "above p95")
    # a set of no workflow cases says its rows open no timeline
    filters = Filters(WINDOW.start, WINDOW.end, page_params=(("set", "stockouts"),))
    body, _ = render_page(SnapshotReader(snapshots), "/cases", filters)
    assert "each opens" not in str(find_component(body, "cases-table"))


def test_a_heatmap_cell_opens_its_skus_cases_of_its_day(snapshots, data):
    body, _ = render_page(SnapshotReader(snapshots), "/orders", WINDOW)
    heatmap = find_component(body, "orders-oversold-skus").figure.data[0]
    cell = heatmap.customdata[list(heatmap.y).index("SKU1")][
        list(heatmap.x).index(date(2026, 3, 6))
    ]
    assert mark_link({"points": [{"customdata": cell}]}) == cell
    assert query(cell) == {
        "start": ["2026-03-06"],
        "end": ["2026-03-06"],
        "set": ["oversold-lines"],
        "sku": ["SKU1"],
    }
    opened = Filters(date(2026, 3, 6), date(2026, 3, 6), page_params=(("sku", "SKU1"),))
    assert cases(data, CASE_SETS["oversold-lines"], opened)["case_key"].to_list() == [
        "O-6-1-0|SKU1",
        "O-6-1-1|SKU1",
    ]


def test_dumbbells_and_process_steps_link_their_cases(snapshots):
    reader = SnapshotReader(snapshots)
    body, _ = render_page(reader, "/returns", EVERYTHING)
    p95 = next(
        t
        for t in find_component(body, "returns-disposition-by-location").figure.data
        if t.name == "p95"
    )
    assert dict(zip(p95.y, (query(link)["location"] for link in p95.ids), strict=True)) == {
        "S002": ["S002"],
        "S001": ["S001"],
    }
    body, _ = render_page(reader, "/process", WINDOW)
    steps = find_component(body, "process-map-return").figure.data
    labels = next(t for t in steps if t.name == "transitions")
    first = query(labels.ids[0])
    assert (first["set"], first["workflow"]) == (["transitions"], ["return"])
    edges = find_component(body, "process-edges-return").data
    assert edges[0]["cases_href"].startswith("[open](/cases?")


# -- unknown regions and the transfer an order line does not name -----------------------------


def test_an_unknown_region_is_explained_wherever_it_shows(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update intelligence.location_risk set region = null where location_id = 'S001'"
        )
        publish_snapshot(con, tmp_path / "snapshots", risk_threshold=RISK_THRESHOLD)
    body, _ = render_page(SnapshotReader(tmp_path / "snapshots"), "/risk", Filters())
    note = "region unknown: the location is not in the locations reference data"
    for figure in ("risk-ranking", "risk-by-region"):
        assert note in find_component(body, figure).figure.layout.title.text
    titles = [
        n.children for n in components_in(body) if getattr(n, "className", "") == "table-title"
    ]
    assert any(note in title for title in titles if title.startswith("Every scored location"))
    assert "unknown" in [row["region"] for row in find_component(body, "risk-table").data]


def test_no_unknown_region_no_note(snapshots):
    body, _ = render_page(SnapshotReader(snapshots), "/risk", Filters())
    assert "reference data" not in str(body)


def test_an_order_lines_timeline_says_why_no_transfer_is_linked(snapshots):
    filters = Filters(page_params=(("workflow", "order"), ("case", "O-9-2-w|SKU2")))
    body, _ = render_page(SnapshotReader(snapshots), "/timeline", filters)
    assert find_component(body, "timeline-transfer").children == NO_TRANSFER
    assert "No transfer is linked to this order line" in NO_TRANSFER
    # a transfer's own timeline has no such line
    filters = Filters(page_params=(("workflow", "transfer"), ("case", "T-B0|SKU2")))
    body, _ = render_page(SnapshotReader(snapshots), "/timeline", filters)
    with pytest.raises(LookupError):
        find_component(body, "timeline-transfer")


def test_what_changed_opens_the_exceptions_that_changed_and_a_kpis_cases_of_its_day(
    snapshots, data
):
    """Since the run before, the failed reservation of O-10-2-w opened and the oversell of
    O-6-1-1 closed (dashboard_fixtures.previous_run); each opens its order line."""
    changed = with_case_links(listed(data, "exception-changes"), WINDOW)
    assert rows(changed, "change", "exception_type", "case_key") == [
        ("opened", "failed_reservation", "O-10-2-w|SKU2"),
        ("closed", "oversell", "O-6-1-1|SKU1"),
    ]
    assert listed(data, "exception-changes", change="closed").height == 1
    body, _ = render_page(SnapshotReader(snapshots), "/changes", WINDOW)
    assert query(find_component(body, "changes-exceptions-cases").href)["set"] == [
        "exception-changes"
    ]
    # each KPI's bar opens its cases of the day it was judged on (oversells: 03-09's)
    bars = find_component(body, "changes-kpis").figure.data[0]
    links = dict(zip(bars.y, bars.ids, strict=True))
    assert query(links["Oversells"]) == {
        "start": ["2026-03-09"],
        "end": ["2026-03-09"],
        "set": ["oversold-lines"],
    }
    assert query(links["Orders with an exception"])["start"] == ["2026-03-06"]
