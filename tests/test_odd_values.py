"""Every step after ingestion survives the odd values ingestion stores (issue 9, item 5).

A hand-made landing folder (reference CSVs included) whose events carry extreme but valid
values: nulls wherever the contract allows them, days far apart (2000-01-02 and six days
ahead of today, in one warehouse), emoji, right-to-left text, combining marks and control
characters in every free-text field, a 64-character event_id, a 10 kB case_id, 100 kB of
attributes, and a location and a SKU whose names carry quotes and `<script>`. It goes through
the real chain once per module: ingestion, `dbt build`, the risk and cycle-count assets, the
published snapshot and the planner report (real Dagster materialization), then every dashboard
page is drawn without a browser.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import plotly.utils
import polars as pl
import pytest
from dbt_fixtures import DbtRun

from dashboards.app import create_app, render_page
from dashboards.data import date_bounds, filter_options, resolve_locations, snapshot_data
from dashboards.filters import Filters, default_period
from dashboards.pages import PAGES
from dashboards.pages.transfers.queries import transfer_lanes
from dashboards.report import render_report
from dashboards.snapshot import SnapshotReader, read_manifest
from omnistock.config import Settings
from omnistock.ingest import ingest_files, load_reference
from orchestration.defs.actions.assets import cycle_count_requests
from orchestration.defs.dashboards.assets import planner_report, published_snapshot
from orchestration.defs.intelligence.assets import location_features, location_risk
from orchestration.resources import resources_for

# -- the odd values -----------------------------------------------------------------------

EMOJI = "📦🛒👩🏽‍💻"  # the last one is a skin-tone ZWJ sequence
RTL = "מחסן ראשי مخزن"  # Hebrew and Arabic
COMBINING = "A\u030angstro\u0308m"  # Ångström spelled with combining marks
CONTROL = "bell\x07 esc\x1b[31m tab\t cr\r lf\n del\x7f end"  # every control char but NUL
HOSTILE = "Store \"Main\" <script>alert('x')</script> & 'Co'"
ODD_TEXT = f"{EMOJI} {RTL} {COMBINING} {CONTROL}"

ODD_LOCATION = 'S"Ω<i>7'  # quotes, Greek and markup in the key itself
ODD_LOCATION_NAME = f"{HOSTILE} {EMOJI} {RTL}"
ODD_REGION = f"{RTL} {COMBINING}"
ODD_SKU = f"SKU-{COMBINING}-{EMOJI}"
ODD_CATEGORY = f"<script>alert('sku')</script> \"home\" {RTL}"
ODD_INTEGRATION = f"<b>api</b> {HOSTILE} {RTL}"

LONG_EVENT_ID = "E" * 60 + "-064"  # the longest event_id the contract allows
LONG_CASE_ID = ("O-" + ODD_TEXT * 400)[:10_000]  # 10,000 characters of odd text
LONG_NOTE = ("x" * 99 + "\u00e9") * 1000  # 100 kB of attributes

TODAY = datetime.now(UTC).date()
BASE = TODAY - timedelta(days=3)  # the ordinary flows run on BASE .. BASE+2
FAR_PAST = date(2000, 1, 2)
FAR_FUTURE = TODAY + timedelta(days=6)  # within the "now + 7 days" bound ingestion enforces
# Every regular feed delivers its last event on this day at 20:00, so it is the data horizon:
# R2 waits there for 4 days (stalled), the default 7-day window ending there holds the
# ordinary flows, and FAR_FUTURE lies after it (an incomplete day).
CLOSING_DAY = TODAY + timedelta(days=1)


def at(day: date, hour: int = 0, minute: int = 0, second: int = 0, offset: str = "Z") -> str:
    """An ISO timestamp on `day` in UTC, written with `offset` (the instant does not change)."""
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
    if offset == "Z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = (int(part) for part in offset[1:].split(":"))
    shift = timedelta(hours=hours, minutes=minutes) * sign
    return (moment + shift).replace(tzinfo=None).isoformat() + offset


@dataclass
class Landing:
    """Collects events per source file; ids are sequential unless given."""

    events: dict[str, list[dict]]

    def add(self, event_type, source, occurred, case_id, *, event_id=None, **fields) -> str:
        records = self.events.setdefault(source, [])
        event_id = event_id or f"odd-{sum(map(len, self.events.values())):03d}"
        record = {
            "event_id": event_id,
            "schema_version": "1",
            "event_type": event_type,
            "source_system": source,
            "occurred_at": occurred,
            "emitted_at": occurred,
            "case_id": case_id,
        }
        records.append(record | fields)
        return event_id


def odd_events() -> dict[str, list[dict]]:
    """The events per source system; each flow is commented with what it should produce."""
    log = Landing({})
    loc, sku = ODD_LOCATION, ODD_SKU

    # O1: a clean order line at the odd location, with the 10 kB case_id; order_placed has
    # no location_id and no attributes at all (both allowed).
    log.add("order_placed", "ecommerce", at(BASE, 9), LONG_CASE_ID, channel="web", sku=sku,
            quantity=2)  # fmt: skip
    log.add("reservation_requested", "oms", at(BASE, 9, 1, offset="+05:30"), LONG_CASE_ID,
            location_id=loc, sku=sku, quantity=2, attributes={})  # fmt: skip
    log.add("reservation_confirmed", "erp", at(BASE, 9, 1, 30, offset="-09:00"), LONG_CASE_ID,
            location_id=loc, sku=sku, quantity=2, attributes={})  # fmt: skip
    fulfilled = log.add("order_fulfilled", "wms", at(BASE, 11), LONG_CASE_ID,
                        event_id=LONG_EVENT_ID, location_id=loc, sku=sku, quantity=2)  # fmt: skip
    log.add("erp_posted", "erp", at(BASE, 12), f"post-{EMOJI}",
            attributes={"posted_event_id": fulfilled})  # fmt: skip
    # O2: a failed reservation and an out-of-stock cancellation (unicode case_id)
    o2 = f"O2-{EMOJI}-{RTL}"
    log.add("order_placed", "marketplace", at(BASE, 10), o2, channel="marketplace", sku="SKU1",
            quantity=1)  # fmt: skip
    log.add("reservation_requested", "oms", at(BASE, 10, 1), o2, location_id="S001", sku="SKU1",
            quantity=1)  # fmt: skip
    log.add("reservation_failed", "erp", at(BASE, 10, 2), o2, location_id="S001", sku="SKU1",
            quantity=1, reason_code="insufficient_stock")  # fmt: skip
    log.add("order_cancelled", "oms", at(BASE, 10, 5), o2, sku="SKU1", quantity=1,
            reason_code="out_of_stock")  # fmt: skip
    # O3: an oversell at the odd location (confirmed, then cancelled out of stock)
    o3 = f"O3-{COMBINING}-{CONTROL}"
    log.add("order_placed", "ecommerce", at(BASE, 13), o3, channel="web", sku=sku, quantity=1)
    log.add("reservation_requested", "oms", at(BASE, 13, 1), o3, location_id=loc, sku=sku,
            quantity=1)  # fmt: skip
    log.add("reservation_confirmed", "erp", at(BASE, 13, 2), o3, location_id=loc, sku=sku,
            quantity=1)  # fmt: skip
    log.add("order_cancelled", "oms", at(BASE, 15), o3, sku=sku, quantity=1,
            reason_code="out_of_stock")  # fmt: skip
    # a store sale whose (unconstrained) reason_code and attributes carry odd text
    log.add("sale", "pos", at(BASE + timedelta(days=1), 8), f"ticket-{RTL}", location_id=loc,
            sku=sku, quantity=1, channel="store", reason_code=ODD_TEXT,
            attributes={ODD_TEXT: HOSTILE, "nested": {"deep": [EMOJI, None, {}]}})  # fmt: skip
    # T1: DC01 -> odd location, 5 shipped, 4 received (short); the approval is envelope only
    t1 = f"T1-{HOSTILE}"
    log.add("transfer_requested", "erp", at(BASE, 8), t1, location_id="DC01",
            to_location_id=loc, sku=sku, quantity=5)  # fmt: skip
    log.add("transfer_approved", "erp", at(BASE, 9), t1)
    log.add("transfer_shipped", "wms", at(BASE, 12), t1, location_id="DC01", sku=sku, quantity=5)
    log.add("transfer_received", "wms", at(BASE + timedelta(days=1), 6), t1, location_id=loc,
            sku=sku, quantity=4)  # fmt: skip
    # R1: a return inspected 6 h after receipt and restocked; the refund is envelope only
    r1 = f"R1-{EMOJI}"
    log.add("return_initiated", "customer_service", at(BASE, 7), r1, channel="web", sku=sku,
            quantity=1)  # fmt: skip
    log.add("return_received", "wms", at(BASE, 10), r1, location_id=loc, sku=sku, quantity=1)
    log.add("return_inspected", "wms", at(BASE, 16), r1, location_id=loc, sku=sku, quantity=1,
            reason_code="restock")  # fmt: skip
    log.add("return_restocked", "wms", at(BASE, 17), r1, location_id=loc, sku=sku, quantity=1)
    log.add("refund_issued", "customer_service", at(BASE, 18), r1)
    # R2: received and never inspected: stalled at the odd location
    r2 = f"R2-{RTL}"
    log.add("return_initiated", "customer_service", at(BASE, 7), r2, channel="store", sku=sku,
            quantity=3)  # fmt: skip
    log.add("return_received", "wms", at(BASE, 9), r2, location_id=loc, sku=sku, quantity=3)
    # P1: a PO expected at BASE+1 (revised with a +14:00 offset), received on BASE+2
    p1 = f"PO-{COMBINING}"
    log.add("po_created", "erp", at(BASE, 6), p1, location_id=loc, sku=sku, quantity=10,
            attributes={"expected_at": at(BASE + timedelta(days=1), 12)})  # fmt: skip
    log.add("po_acknowledged", "supplier_portal", at(BASE, 7), p1,
            attributes={"expected_at": at(BASE + timedelta(days=1), 18, offset="+14:00")})  # fmt: skip
    log.add("po_received", "wms", at(BASE + timedelta(days=2), 9), p1, location_id=loc, sku=sku,
            quantity=10)  # fmt: skip
    # stock: far-apart snapshots in one warehouse, a shrink and a count off by one
    log.add("stock_snapshot", "erp", at(FAR_PAST, 12), "snap-far-past", location_id=loc, sku=sku,
            quantity=0)  # fmt: skip
    log.add("stock_snapshot", "erp", at(BASE, 0, 5), "snap-base", location_id=loc, sku=sku,
            quantity=3)  # fmt: skip
    log.add("stock_snapshot", "erp", at(FAR_FUTURE, 0), "snap-far-future", location_id="S001",
            sku="SKU1", quantity=0)  # fmt: skip
    log.add("inventory_adjusted", "pos", at(BASE, 20), f"adj-{EMOJI}", location_id=loc, sku=sku,
            quantity=-1, reason_code="shrink", attributes={"note": CONTROL})  # fmt: skip
    log.add("cycle_count_completed", "pos", at(BASE + timedelta(days=1), 7), f"count-{RTL}",
            location_id=loc, sku=sku, quantity=2, attributes={"system_quantity": 3})  # fmt: skip
    # an integration named with markup: six failed calls (one disruption), then a success
    # carrying 100 kB of attributes
    for minute, status in enumerate((0, 503, 503, 0, 500, 502, 200)):
        attributes = {"integration": ODD_INTEGRATION, "status_code": status, "latency_ms": 40,
                      "attempt": 1}  # fmt: skip
        if status == 200:
            attributes["note"] = LONG_NOTE
        log.add("api_call", "integration_gateway", at(BASE, 14, minute), f"call-{minute}",
                attributes=attributes)  # fmt: skip
    close_feeds(log)
    return log.events


def close_feeds(log: Landing) -> None:
    """One neutral event per regular feed at CLOSING_DAY 20:00 (their watermarks, hence the
    horizon): nothing moves stock, nothing is overdue at the horizon."""
    moment = at(CLOSING_DAY, 20)
    log.add("order_placed", "ecommerce", moment, "O-close", channel="web", sku="SKU1", quantity=1)
    log.add("reservation_requested", "oms", moment, "O-close", location_id="DC01", sku="SKU1",
            quantity=1)  # fmt: skip
    log.add("reservation_confirmed", "erp", moment, "O-close", location_id="DC01", sku="SKU1",
            quantity=1)  # fmt: skip
    log.add("order_placed", "marketplace", moment, "M-close", channel="marketplace", sku="SKU1",
            quantity=1)  # fmt: skip
    log.add("return_initiated", "pos", moment, "R-close", channel="store", sku="SKU1", quantity=1)
    log.add("return_received", "wms", moment, "R-close", location_id="DC01", sku="SKU1",
            quantity=1)  # fmt: skip
    log.add("api_call", "integration_gateway", moment, "call-close",
            attributes={"integration": "erp_availability", "status_code": 200, "latency_ms": 40,
                        "attempt": 1})  # fmt: skip


def write_landing(landing: Path) -> dict[str, list[dict]]:
    reference = landing / "reference"
    reference.mkdir(parents=True)
    pl.DataFrame(
        {
            "location_id": ["S001", "DC01", ODD_LOCATION],
            "location_type": ["store", "dc", "store"],
            "region": ["north", ODD_REGION, ODD_REGION],
            "name": ["North store 1", f"DC {RTL}", ODD_LOCATION_NAME],
        }
    ).write_csv(reference / "locations.csv")
    pl.DataFrame(
        {
            "sku": ["SKU1", ODD_SKU],
            "category": ["apparel", ODD_CATEGORY],
            "unit_cost": [4.0, 10.0],
            "unit_price": [9.0, 25.0],
            "abc_class": ["A", "B"],
        }
    ).write_csv(reference / "skus.csv")
    events = odd_events()
    for source, records in events.items():
        folder = landing / source
        folder.mkdir()
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        (folder / f"{BASE}.jsonl").write_text(text, encoding="utf-8")
    return events


# -- the run ------------------------------------------------------------------------------


@dataclass
class OddRun:
    settings: Settings
    events: dict[str, list[dict]]
    result: dg.ExecuteInProcessResult

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.settings.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def sent(self, event_type: str) -> list[dict]:
        return [
            r for records in self.events.values() for r in records if r["event_type"] == event_type
        ]


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory) -> OddRun:
    home = tmp_path_factory.mktemp("odd") / "omnistock"
    settings = Settings(home=home, landing_dir=home / "landing", warehouse=home / "w.duckdb")
    events = write_landing(settings.landing_dir)
    with duckdb.connect(str(settings.warehouse)) as con:
        load_reference(con, settings.landing_dir)
        ingest_files(con, settings.landing_dir)  # raises if a file fails
    # unit tests do not read the data (tests/test_dbt_build.py runs them)
    DbtRun(settings.warehouse, home)("build", "--exclude-resource-type", "unit_test")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAGSTER_HOME", str(home / "dagster_home"))
        env.setenv("OMNISTOCK_RISK_THRESHOLD", "0")  # three locations score alike: count anyway
        result = dg.materialize(
            [
                location_features,
                location_risk,
                cycle_count_requests,
                published_snapshot,
                planner_report,
            ],
            resources=resources_for(settings),
            instance=dg.DagsterInstance.ephemeral(),
            run_config={"ops": {"cycle_count_requests": {"config": {"locations": [ODD_LOCATION]}}}},
        )
    return OddRun(settings, events, result)


@pytest.fixture
def data(odd_run):
    with snapshot_data(SnapshotReader(odd_run.settings.snapshots_dir)) as opened:
        yield opened


def test_every_odd_record_is_stored_as_sent(odd_run):
    sent = {r["event_id"]: r for records in odd_run.events.values() for r in records}
    stored = {
        event_id: rest
        for event_id, *rest in odd_run.query(
            "select event_id, case_id, reason_code, attributes from raw.inventory_events"
        )
    }
    assert set(stored) == set(sent) and len(sent) == 40 + 7  # 7 closing the feeds
    assert odd_run.query("select count(*) from raw.quarantined_events") == [(0,)]
    assert stored[LONG_EVENT_ID][0] == LONG_CASE_ID and len(LONG_CASE_ID) == 10_000
    [sale] = odd_run.sent("sale")
    assert stored[sale["event_id"]][1] == ODD_TEXT
    assert json.loads(stored[sale["event_id"]][2]) == sale["attributes"]
    [long_call] = [r for r in odd_run.sent("api_call") if "note" in r["attributes"]]
    assert json.loads(stored[long_call["event_id"]][2])["note"] == LONG_NOTE
    # envelope-only events keep their nulls, and no attributes is stored as '{}'
    [approval] = odd_run.sent("transfer_approved")
    assert odd_run.query(
        "select location_id, sku, quantity, channel, reason_code, attributes "
        "from raw.inventory_events where event_id = ?",
        [approval["event_id"]],
    ) == [(None, None, None, None, None, "{}")]


def test_the_run_after_dbt_succeeds_step_by_step(odd_run):
    result = odd_run.result
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {
        "location_features",
        "location_risk",
        "cycle_count_requests",
        "published_snapshot",
        "planner_report",
    }
    [request] = odd_run.query("select location_id, outbox_file from actions.cycle_count_requests")
    assert request[0] == ODD_LOCATION
    assert json.loads(Path(request[1]).read_text())["location_id"] == ODD_LOCATION


def test_far_apart_days_make_kpi_rows_on_both_ends(odd_run):
    def stockout(day, dimension="all", value="all"):
        return odd_run.query(
            "select value, numerator, denominator from marts.kpi_daily where kpi_date = ? "
            "and kpi_name = 'stockout_rate' and dimension = ? and dimension_value = ?",
            [day, dimension, value],
        )

    assert odd_run.query("select horizon_date from intermediate.int_data_horizon") == [
        (CLOSING_DAY,)
    ]
    # the odd location's only snapshot in 2000 says 0 on hand
    assert stockout(FAR_PAST, "location_id", ODD_LOCATION) == [(1.0, 1.0, 1.0)]
    # no day is expanded past the horizon: S001/SKU1's FAR_FUTURE snapshot is stored but
    # waits for the horizon; the odd location holds, on the horizon's day,
    # 3 - 2 (O1) + 1 (R1) - 1 (shrink) + 4 (T1) - 1 (sale) + 10 (P1) = 14
    assert stockout(FAR_FUTURE) == []
    assert odd_run.query("select max(position_date) from marts.fct_stock_positions") == [
        (CLOSING_DAY,)
    ]
    assert odd_run.query(
        "select count(*) from raw.inventory_events where case_id = 'snap-far-future'"
    ) == [(1,)]
    assert odd_run.query(
        "select closing_quantity from marts.fct_stock_positions where location_id = ? "
        "and position_date = ?",
        [ODD_LOCATION, CLOSING_DAY],
    ) == [(14,)]
    # days after the horizon are flagged incomplete
    assert odd_run.query(
        "select bool_or(is_complete) from marts.kpi_daily where kpi_date > ?", [CLOSING_DAY]
    ) == [(False,)]


def test_snapshot_keeps_the_odd_values_and_the_far_days(odd_run, data):
    assert date_bounds(data) == (FAR_PAST, FAR_FUTURE)
    # "as of" is the data horizon, not the latest (far-future) event
    assert read_manifest(odd_run.settings.snapshots_dir)["as_of"] == f"{CLOSING_DAY}T20:00:00"
    assert data.row(
        "select location_name, region from dim_locations where location_id = ?", [ODD_LOCATION]
    ) == (ODD_LOCATION_NAME, ODD_REGION)
    [stalled] = data.frame("select case_id, sku, units from stalled_cases").rows()
    assert stalled == (f"R2-{RTL}", ODD_SKU, 3)
    options = filter_options(data)
    assert (ODD_LOCATION, f"{ODD_LOCATION} · {ODD_LOCATION_NAME}") in options["locations"]
    assert ODD_REGION in options["regions"]
    # filter values travel as parameters: quotes and markup select exactly their rows
    assert resolve_locations(data, Filters(regions=(ODD_REGION,))) == ("DC01", ODD_LOCATION)
    lanes = transfer_lanes(data, Filters(locations=(ODD_LOCATION,)))
    assert lanes.select("origin", "destination", "lines", "accuracy").rows() == [
        ("DC01", ODD_LOCATION, 1, 0.0)
    ]


def _default_window(odd_run) -> tuple[date, date]:
    """The dashboards' and the report's default window: dbt's current standard period, the
    7 days ending on the data horizon's day (the far-future stray days lie beyond it)."""
    [(horizon,)] = odd_run.query("select horizon_date from intermediate.int_data_horizon")
    assert horizon < FAR_FUTURE
    return horizon - timedelta(days=6), horizon


def test_report_escapes_the_odd_names(odd_run):
    text = (odd_run.settings.reports_dir / "omnistock-report.html").read_text(encoding="utf-8")
    start, end = _default_window(odd_run)
    assert f"{start} to {end}" in text
    assert "<script>alert(" not in text and "<i>7" not in text
    # the names reach the figures as JSON with <, > and / escaped
    assert "\\u003cscript\\u003ealert('x')\\u003c\\u002fscript\\u003e" in text
    assert 'S\\"Ω\\u003ci\\u003e7' in text  # the odd location_id on the lane figure
    with snapshot_data(SnapshotReader(odd_run.settings.snapshots_dir)) as data:
        assert render_report(data, Filters()).count("Plotly.newPlot") == 7  # all dates


@pytest.mark.parametrize(
    "filters",
    [
        None,  # the app's default period
        Filters(),
        Filters(start=FAR_PAST, end=FAR_PAST),
        Filters(locations=(ODD_LOCATION,)),
        Filters(regions=(ODD_REGION,), channels=("web",)),
    ],
    ids=["default", "all-dates", "far-past", "odd-location", "odd-region"],
)
def test_every_page_draws_the_odd_data(odd_run, data, filters):
    if filters is None:
        start, end = default_period(*date_bounds(data))
        filters = Filters(start=start, end=end)
    reader = SnapshotReader(odd_run.settings.snapshots_dir)
    for page in PAGES:
        sent = _page_json(reader, page.path, filters)
        assert "page-error" not in sent, (page.slug, sent[:2000])
        assert '"type": "Graph"' in sent, page.slug


def _page_json(reader: SnapshotReader, path: str, filters: Filters) -> str:
    """A page as Dash sends it to the browser: every figure and table serialized."""
    body, _ = render_page(reader, path, filters)
    return json.dumps(body, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


def test_pages_show_the_odd_rows(odd_run):
    reader = SnapshotReader(odd_run.settings.snapshots_dir)
    pages = {page.slug: _page_json(reader, page.path, Filters()) for page in PAGES}
    stalled_return = json.dumps(f"R2-{RTL}|{ODD_SKU}", ensure_ascii=False)
    assert f'"case_key": {stalled_return}' in pages["returns"]
    assert f'"reference_id": "return:{stalled_return[1:]}' in pages["exceptions"]
    odd_location = json.dumps(ODD_LOCATION, ensure_ascii=False)
    assert f'"location_id": {odd_location}' in pages["cycle-counts"]
    assert f'"location_id": {odd_location}' in pages["risk"]


def _props_of(component: dict | list, element_id: str) -> dict | None:
    """The props of the component with `element_id` in a serialized Dash layout."""
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("props", {}).get("id") == element_id:
                return node["props"]
            stack.extend(node.values())
    return None


def test_the_app_offers_the_whole_range_and_the_odd_names(odd_run):
    client = create_app(odd_run.settings.snapshots_dir).server.test_client()
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    dates = _props_of(layout.json, "filter-dates")
    assert (dates["min_date_allowed"], dates["max_date_allowed"]) == (
        str(FAR_PAST),
        str(FAR_FUTURE),
    )
    assert (dates["start_date"], dates["end_date"]) == tuple(map(str, _default_window(odd_run)))
    locations = _props_of(layout.json, "filter-location")["options"]
    assert {"label": f"{ODD_LOCATION} · {ODD_LOCATION_NAME}", "value": ODD_LOCATION} in locations
    assert ODD_REGION in _props_of(layout.json, "filter-region")["options"]
