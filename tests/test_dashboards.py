"""Dashboards without a browser: the published snapshot, queries, KPI maths, figure builders,
page rendering and the offline report, on the hand-made marts of dashboard_fixtures."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import plotly.graph_objects as go
import polars as pl
import pytest
from dashboard_fixtures import TABLES, build_warehouse, find_component, publish_fixture_snapshot

from dashboards import theme
from dashboards.app import create_app, render_page
from dashboards.data import date_bounds, resolve_locations, snapshot_data
from dashboards.filters import Filters, default_period, filter_conditions
from dashboards.kpi_queries import KpiValues, kpi_catalog, kpi_values, kpi_window
from dashboards.kpis import choose_cut, format_change, format_value
from dashboards.pages import (
    PAGES,
    cycle_counts,
    exceptions,
    integrations,
    orders,
    process,
    reconciliation,
    risk,
    transfers,
)
from dashboards.report import write_report
from dashboards.snapshot import (
    CURRENT_LINK,
    SnapshotNotFound,
    SnapshotReader,
    current_version,
    list_versions,
    open_snapshot,
    publish_snapshot,
    read_manifest,
)
from omnistock.tables import (
    CYCLE_COUNT_REQUEST_LINES,
    CYCLE_COUNT_REQUESTS,
    LOCATION_CATEGORY_RISK,
    LOCATION_FEATURES,
    LOCATION_RISK,
)


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory) -> Path:
    return publish_fixture_snapshot(tmp_path_factory.mktemp("dashboards"))


@pytest.fixture
def data(snapshots):
    with snapshot_data(SnapshotReader(snapshots)) as opened:
        yield opened


@pytest.fixture
def catalog(data):
    return kpi_catalog(data)


def all_y(figure: go.Figure) -> float:
    return sum(
        sum(v for v in trace.y if v is not None) for trace in figure.data if trace.type == "bar"
    )


# -- published snapshot -------------------------------------------------------------------


def test_publish_exports_every_table_with_row_counts_and_points_current_at_it(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb", with_risk_tables=False)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        version = publish_snapshot(con, tmp_path / "snapshots")
        expected = con.execute("select count(*) from marts.kpi_daily").fetchall()[0][0]
    manifest = json.loads((version / "manifest.json").read_text())
    assert os.readlink(tmp_path / "snapshots" / CURRENT_LINK) == version.name
    assert manifest["tables"]["kpi_daily"]["rows"] == expected
    assert manifest["tables"]["kpi_daily"]["source"] == "marts.kpi_daily"
    assert manifest["missing"] == [
        "cycle_count_request_lines",
        "cycle_count_requests",
        "location_category_risk",
        "location_risk",
    ]
    assert manifest["as_of"] == "2026-03-10T23:00:00"
    assert manifest["horizon_date"] == "2026-03-09"  # int_data_horizon: day 10 is incomplete
    assert manifest["tables"]["kpi_catalog"]["source"] == "marts.kpi_catalog"
    assert (version / "fct_order_lines.parquet").exists()
    assert not (version / "location_risk.parquet").exists()


def test_bare_table_names_are_found_in_any_schema_and_mappings_rename(snapshots, tmp_path):
    manifest = read_manifest(snapshots)
    assert manifest["thresholds"] == {"risk_threshold": 0.9}  # the publisher's policy
    assert manifest["tables"]["location_risk"]["source"] == "intelligence.location_risk"
    requests = manifest["tables"]["cycle_count_requests"]
    assert requests["source"] == "actions.cycle_count_requests"
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        version = publish_snapshot(
            con, tmp_path / "s", {"lanes": "marts.fct_transfers", "nothing": "marts.absent"}
        )
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["tables"]["lanes"]["rows"] == 7 and manifest["missing"] == ["nothing"]


def test_the_risk_and_cycle_count_tables_are_exported_as_declared(snapshots):
    """The fixture writes them through their declarations (omnistock/tables.py), as their
    producers do; the snapshot keeps every declared column, in order."""
    tables = read_manifest(snapshots)["tables"]
    for table in (
        LOCATION_RISK,
        LOCATION_CATEGORY_RISK,
        CYCLE_COUNT_REQUESTS,
        CYCLE_COUNT_REQUEST_LINES,
    ):
        assert tables[table.name]["columns"] == list(table.column_names), table.name
    assert "counts" not in tables["location_risk"]["columns"]  # evidence stays with features


def test_open_snapshot_serves_views_and_nothing_else(snapshots, tmp_path):
    con = open_snapshot(snapshots)
    assert con.execute("select count(*) from fct_transfers").fetchall() == [(7,)]
    info = dict(con.execute("select key, value from snapshot_info").fetchall())
    assert info["version"] == current_version(snapshots)
    assert info["risk_threshold"] == "0.9"
    warehouse = snapshots.parent / "warehouse.duckdb"
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        con.execute(f"attach '{warehouse}' as live")
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        con.execute(f"copy (select 1) to '{tmp_path / 'leak.csv'}'")
    with pytest.raises(duckdb.Error, match="locked"):
        con.execute("set enable_external_access = true")


def test_open_snapshot_before_any_publish_says_so(tmp_path):
    with pytest.raises(SnapshotNotFound):
        open_snapshot(tmp_path / "nothing-yet")
    assert SnapshotReader(tmp_path / "nothing-yet").open() is None


def test_republishing_swaps_current_and_keeps_two_versions(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    reader = SnapshotReader(snapshots)
    published = []
    with duckdb.connect(str(warehouse)) as con:
        for extra_rows in range(3):
            if extra_rows:
                con.execute(
                    "insert into marts.fct_transfers (transfer_id, sku) values (?, ?)",
                    [f"T-new-{extra_rows}", "SKU1"],
                )
            published.append(publish_snapshot(con, snapshots).name)
            cursor, snapshot = reader.open()
            assert snapshot.version == published[-1]
            assert cursor.execute("select count(*) from fct_transfers").fetchall() == [
                (7 + extra_rows,)
            ]
            cursor.close()
    assert list_versions(snapshots) == published[1:]
    assert current_version(snapshots) == published[-1]
    assert not [p for p in snapshots.iterdir() if p.name.startswith(".")]


def test_a_failed_publish_leaves_the_current_snapshot_alone(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    with duckdb.connect(str(warehouse)) as con:
        good = publish_snapshot(con, snapshots).name
        con.execute("create view marts.broken as select error('mart failed') as x")
        with pytest.raises(duckdb.Error, match="mart failed"):
            publish_snapshot(con, snapshots, ["kpi_daily", "broken"])
    assert current_version(snapshots) == good
    assert list_versions(snapshots) == [good]
    assert not [p for p in snapshots.iterdir() if p.name.startswith(".staging")]


def test_readers_never_see_a_half_published_snapshot(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    snapshots = tmp_path / "snapshots"
    failures: list[Exception] = []
    done = threading.Event()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        publish_snapshot(con, snapshots)

        def read_continuously():
            while not done.is_set():
                try:
                    manifest = read_manifest(snapshots)
                    assert manifest["tables"]["kpi_daily"]["rows"] > 0
                except Exception as error:  # noqa: BLE001 - any failure is the finding
                    failures.append(error)

        reader = threading.Thread(target=read_continuously)
        reader.start()
        try:
            for _ in range(4):
                publish_snapshot(con, snapshots)
        finally:
            done.set()
            reader.join()
    assert failures == []


# -- filters, queries and KPI maths -------------------------------------------------------


def test_filters_round_trip_and_previous_period():
    filters = Filters(
        start=date(2026, 3, 6),
        end=date(2026, 3, 10),
        channels=("web",),
        regions=("north",),
        locations=("S001",),
    )
    assert Filters.from_store(filters.to_store()) == filters
    previous = filters.previous_period()
    assert (previous.start, previous.end) == (date(2026, 3, 1), date(2026, 3, 5))
    assert Filters.from_store(None) == Filters()
    assert default_period(date(2026, 3, 1), date(2026, 3, 31)) == (
        date(2026, 3, 18),
        date(2026, 3, 31),
    )
    assert default_period(date(2026, 3, 1), date(2026, 3, 5)) == (
        date(2026, 3, 1),
        date(2026, 3, 5),
    )


def test_filter_values_are_bound_never_pasted():
    hostile = "web' or '1'='1"
    conditions = filter_conditions(
        Filters(channels=(hostile,), start=date(2026, 3, 1)),
        date_column="order_date",
        channel_column="channel",
    )
    assert hostile not in conditions.where()
    assert conditions.params == [date(2026, 3, 1), [hostile]]


def test_a_hostile_filter_value_matches_nothing(data):
    hostile = Filters(channels=("web') or true --",), locations=("S001' or '1'='1",))
    assert orders.queries.orders_by_day(data, hostile).is_empty()
    assert exceptions.queries.exception_queue(data, hostile).is_empty()


def test_orders_by_day_counts_oversells_per_channel(data):
    by_day = orders.queries.orders_by_day(data, Filters())
    by_channel = dict(by_day.group_by("channel").agg(pl.col("oversells").sum()).iter_rows())
    assert by_channel == {"web": 3, "marketplace": 1}
    web = orders.queries.orders_by_day(
        data, Filters(channels=("web",), start=date(2026, 3, 6), end=date(2026, 3, 6))
    )
    assert web.select("order_lines", "oversells").row(0) == (7, 2)


def test_oversold_skus_rank_the_worst_skus(data):
    frame = orders.queries.oversells_by_sku_day(data, Filters(), top=1)
    assert frame.rows() == [
        (date(2026, 3, 5), "SKU1", 1),
        (date(2026, 3, 6), "SKU1", 2),
        (date(2026, 3, 8), "SKU1", 1),
    ]
    figure = orders.figures.oversold_skus(frame)
    assert list(figure.data[0].y) == ["SKU1"] and list(figure.data[0].z[0]) == [1, 2, 1]


def test_region_filter_resolves_to_its_locations(data):
    assert resolve_locations(data, Filters(regions=("north",))) == ("DC01", "S001")
    assert resolve_locations(data, Filters(regions=("north",), locations=("S001", "S002"))) == (
        "S001",
    )
    assert resolve_locations(data, Filters()) is None


def test_transfer_lanes_show_the_short_shipping_lane(data):
    lanes = transfers.queries.transfer_lanes(data, Filters()).sort("destination")
    assert lanes.select("destination", "lines", "accuracy", "short_units").rows() == [
        ("S001", 3, 1.0, 0),
        ("S002", 4, 0.5, 6),
    ]
    only_s001 = transfers.queries.transfer_lanes(data, Filters(locations=("S001",)))
    assert only_s001["destination"].to_list() == ["S001"]


def test_the_catalog_is_the_dbt_seed(catalog):
    seed = (Path(__file__).parents[1] / "dbt_project/seeds/kpi_catalog.csv").read_text()
    assert list(catalog) == [line.split(",")[0] for line in seed.splitlines()[1:]]
    headline = [kpi.name for kpi in catalog.values() if kpi.is_headline]
    assert headline[:3] == [
        "order_exception_rate",
        "reservation_failure_rate",
        "reservation_latency_p95_s",
    ]
    latency = catalog["reservation_latency_p95_s"]
    assert (latency.aggregation, latency.percentile, latency.observation_family) == (
        "percentile",
        0.95,
        "reservation_latency",
    )
    assert catalog["transfer_accuracy"].location_dimension == "origin"
    assert catalog["order_exception_rate"].location_dimension is None


def test_a_ratio_over_a_period_sums_numerators_and_denominators(data, catalog):
    """03-06 .. 03-10: day 10 is after the horizon, so days 6-9 count: (16 + 17 + 18 + 19)
    / 400; the five days before: (11 + .. + 15) / 500. Oversells (day % 3) 0 + 1 + 2 + 0."""
    kpis = [catalog["order_exception_rate"], catalog["oversell_incidents"]]
    filters = Filters(start=date(2026, 3, 6), end=date(2026, 3, 10))
    current = kpi_values(data, kpis, filters)
    previous = kpi_values(data, kpis, filters.previous_period())
    rate = catalog["order_exception_rate"]
    values = (current.value(rate.name), previous.value(rate.name))
    assert values == pytest.approx((70 / 400, 65 / 500))
    assert format_change(rate, *values) == ("+4.5 pp vs previous", "bad")
    assert current.value("oversell_incidents") == 3
    assert current.cuts[rate.name].note == ""
    # a level is the window's last complete day: negative stock positions = day 9's 9
    level = kpi_values(data, [catalog["negative_stock_positions"]], filters)
    assert level.value("negative_stock_positions") == 9


@pytest.fixture
def latency_snapshot(tmp_path):
    """The fixture marts with the reservation latencies replaced: 1, 1, 1 s on 03-03 (p95
    1 s), 2 and 100 s on 03-04 (p95 95.1 s), and 5,000 s on 03-10, after the horizon."""
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.kpi_observations where kpi_family = 'reservation_latency'")
        for day, value, channel in (
            (3, 1, "web"),
            (3, 1, "web"),
            (3, 1, "web"),
            (4, 2, "web"),
            (4, 100, "marketplace"),
            (10, 5000, "web"),
        ):
            con.execute(
                "insert into marts.kpi_observations (kpi_family, kpi_date, observation_value, "
                "is_complete, channel, location_id) values ('reservation_latency', ?, ?, ?, ?, "
                "'S001')",
                [date(2026, 3, day), value, day < 10, channel],
            )
        publish_snapshot(con, tmp_path / "snapshots")
    return tmp_path / "snapshots"


def test_a_period_percentile_is_recomputed_from_observations(latency_snapshot):
    """Over 03-03 .. 03-10 the p95 is that of 1, 1, 1, 2, 100 s: 2 + 0.8 x 98 = 80.4 s, not
    the mean of the daily p95s (48.05 s) nor their observation-weighted mean (38.64 s); the
    5,000 s of the incomplete 03-10 is not counted. Tile, sparkline and /orders agree."""
    filters = Filters(start=date(2026, 3, 3), end=date(2026, 3, 10))
    with snapshot_data(SnapshotReader(latency_snapshot)) as data:
        kpi = kpi_catalog(data)["reservation_latency_p95_s"]
        period = kpi_values(data, [kpi], filters)
        daily = kpi_values(data, [kpi], filters, ("kpi_date",))
        web = kpi_values(data, [kpi], replace(filters, channels=("web",)))
        histogram = orders.figures.reservation_latency_histogram(
            orders.queries.reservation_latencies(data, filters),
            orders.queries.reservation_latency_percentiles(data, filters),
        )
        body, _ = render_page(SnapshotReader(latency_snapshot), "/overview", filters)
    assert period.value(kpi.name) == pytest.approx(80.4)
    assert daily.of(kpi.name)["value"].to_list() == pytest.approx([1.0, 95.1])
    assert sum(daily.of(kpi.name)["value"]) / 2 == pytest.approx(48.05)  # what it is not
    assert web.value(kpi.name) == pytest.approx(1.85)  # 1, 1, 1, 2: the same rows, cut
    assert (
        "p95 80 s" in histogram.layout.title.text and "5 confirmed" in histogram.layout.title.text
    )
    tile = find_component(body, "tile-reservation-latency-p95-s")
    assert find_component(tile, "tile-value-reservation-latency-p95-s").children == "80.4 s"
    spark = find_component(tile, "spark-reservation-latency-p95-s").figure
    period_line = next(trace for trace in spark.data if trace.name == "period")
    assert list(period_line.y) == pytest.approx([80.4, 80.4])


def test_a_kpi_the_filters_cannot_cut_says_so_on_the_tile_and_the_chart(snapshots, data):
    """Region north (S001, DC01): orders with an exception are reported by channel only, so
    the tile and the chart under it both say "not available by region" instead of showing
    all regions' 16%; the reservation failure rate is cut by location: S001's 1 of 50."""
    filters = Filters(start=date(2026, 3, 3), end=date(2026, 3, 9), regions=("north",))
    body, _ = render_page(SnapshotReader(snapshots), "/overview", filters)
    tile = find_component(body, "tile-order-exception-rate")
    assert find_component(tile, "tile-value-order-exception-rate").children == "–"
    assert "not available by region" in str(tile)
    spark = find_component(tile, "spark-order-exception-rate").figure
    assert [a.text for a in spark.layout.annotations] == ["not available by region"]
    assert not spark.data[0].x
    chart = find_component(body, "overview-order-exceptions").figure
    assert "not available by region" in chart.layout.annotations[0].text
    assert find_component(body, "tile-value-reservation-failure-rate").children == "2.0%"
    assert "selected locations" in str(find_component(body, "tile-reservation-failure-rate"))
    # a ratio by channel and by location at once: kpi_daily cuts one dimension at a time
    both = replace(filters, channels=("web",))
    rate = kpi_catalog(data)["reservation_failure_rate"]
    cut = choose_cut(rate, both, ("S001",))
    assert cut.unavailable == "not available by region and channel together"
    # the unposted moves on /reconciliation, too
    unposted = reconciliation.figures.unreconciled_by_day(
        reconciliation.queries.unreconciled_by_day(data, filters)
    )
    assert "not available by region" in unposted.layout.annotations[0].text


def test_kpis_cut_by_the_dimension_the_filters_ask_for(catalog):
    locations = ("S001",)
    by_location = choose_cut(
        catalog["reservation_failure_rate"], Filters(locations=locations), locations
    )
    assert by_location.dimensions == (("location_id", locations),)
    not_by_location = choose_cut(
        catalog["order_exception_rate"], Filters(locations=locations), locations
    )
    assert not_by_location.unavailable == "not available by location"
    by_channel = choose_cut(catalog["order_exception_rate"], Filters(channels=("web",)), None)
    assert by_channel.dimensions == (("channel", ("web",)),)
    assert choose_cut(
        catalog["transfer_accuracy"], Filters(locations=locations), locations
    ).dimensions == (("origin", locations),)
    # a percentile is recomputed from observations: channel and location at once
    latency = choose_cut(
        catalog["reservation_latency_p95_s"],
        Filters(channels=("web",), locations=locations),
        locations,
    )
    assert latency.dimensions == (("location_id", locations), ("channel", ("web",)))
    assert latency.note == "selected locations and channels"


def test_kpi_formatting(catalog):
    assert format_value(catalog["transfer_accuracy"], 0.8123) == "81.2%"
    assert format_value(catalog["reservation_latency_p95_s"], 12.34) == "12.3 s"
    assert format_value(catalog["oversell_incidents"], 1234) == "1,234"
    assert format_value(catalog["oversell_incidents"], None) == "–"
    assert format_change(catalog["transfer_accuracy"], 0.9, 0.8) == (
        "+10.0 pp vs previous",
        "good",
    )
    assert format_change(catalog["reservation_latency_p95_s"], 10, 20) == (
        "-50% vs previous",
        "good",
    )
    assert format_change(catalog["oversell_incidents"], 3, 0) == ("+3 vs previous", "bad")
    assert format_change(catalog["oversell_incidents"], 3, None)[1] == "neutral"
    assert format_change(catalog["stockout_rate"], 0.0101, 0.0102) == ("no change", "neutral")
    assert format_change(catalog["oversell_incidents"], 1001, 1000) == ("no change", "neutral")
    assert format_value(catalog["reservation_latency_p95_s"], 1106.2) == "18 min"


def test_the_default_window_is_dbts_current_period_and_its_tiles_match_kpi_period(snapshots, data):
    """kpi_period (written by dbt) and the tiles over the default window agree: 112 / 700
    orders with an exception and a 97.5 s latency p95, shown as 2 min (days 3-9; 03-10 is
    incomplete)."""
    window = kpi_window(data)
    assert window == (date(2026, 3, 3), date(2026, 3, 9))
    body, _ = render_page(SnapshotReader(snapshots), "/overview", Filters(*window))
    assert find_component(body, "tile-value-order-exception-rate").children == "16.0%"
    assert (
        find_component(body, "tile-value-reservation-latency-p95-s").children == "2 min"
    )  # 97.5 s
    assert "KPIs complete through 2026-03-09" in str(find_component(body, "data-clock").children)


def test_location_risk_reads_the_declared_table(data):
    ranked = risk.queries.location_risk(data, Filters())
    # The tie at score 1.0 is broken by the model's rank.
    assert ranked.select("location_id", "risk_rank", "region").rows() == [
        ("S002", 1, "south"),
        ("DC01", 2, "north"),
        ("S001", 3, "north"),
    ]
    assert ranked["drivers"][0] == "count_discrepancy_rate, stalled_return_rate"
    assert ranked.columns[-len(LOCATION_FEATURES) :] == list(LOCATION_FEATURES)
    assert ranked["scored_at"][0] == datetime(2026, 3, 10, 23)  # the model's as_of
    north = risk.queries.location_risk(data, Filters(regions=("north",)))
    assert north["location_id"].to_list() == ["DC01", "S001"]
    assert north["risk_rank"].to_list() == [1, 2]


def test_a_table_that_drifts_from_its_declaration_is_named_on_its_page(tmp_path):
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table intelligence.location_risk drop column region")
        publish_snapshot(con, tmp_path / "snapshots")
    body, _ = render_page(SnapshotReader(tmp_path / "snapshots"), "/risk", Filters())
    text = str(body)
    assert "page-error" in text
    assert "location_risk lacks the columns" in text and "region" in text


def test_cycle_count_requests_list_skus_by_priority_with_the_jobs_results(data):
    requests = cycle_counts.queries.cycle_count_requests(data, Filters()).sort("request_id")
    assert requests["requested_skus"].to_list() == [["SKU1", "SKU2"], ["SKU1"]]
    counted = requests.row(0, named=True)
    assert (
        counted["status"],
        counted["skus_counted"],
        counted["skus_inaccurate"],
        counted["value_corrected"],
    ) == ("counted", 2, 1, 20.0)
    assert requests.row(1, named=True)["skus_counted"] is None


# -- figure builders ----------------------------------------------------------------------


def test_latency_histogram_buckets_and_headline():
    latencies = pl.DataFrame(
        {"channel": ["web"] * 4 + ["marketplace"], "latency_s": [0.5, 1.5, 1.8, 4000.0, 7.0]}
    )
    percentiles = KpiValues(
        by=(),
        frame=pl.DataFrame(
            {
                "kpi_name": ["reservation_latency_p50_s", "reservation_latency_p95_s"],
                "value": [1.8, 3201.4],
                "observations": [5.0, 5.0],
            }
        ),
        cuts={},
    )
    figure = orders.figures.reservation_latency_histogram(latencies, percentiles)
    web = next(t for t in figure.data if t.name == "web")
    assert dict(zip(web.x, web.y, strict=True)) == {"≤1 s": 1, "1–2 s": 2, "> 30 min": 1}
    assert "p50 2 s · p95 53 min" in figure.layout.title.text
    assert list(figure.layout.xaxis.categoryarray)[0] == "≤1 s"


def test_oversells_figure_stacks_channels(data):
    figure = orders.figures.oversells_by_channel(orders.queries.orders_by_day(data, Filters()))
    assert {t.name for t in figure.data} == {"marketplace", "web"}
    assert all_y(figure) == 4
    assert "4 oversold lines" in figure.layout.title.text


def test_burst_days_are_shaded_as_likely_promotions():
    days = [date(2026, 3, d) for d in range(1, 8)]
    by_day = pl.DataFrame(
        {
            "order_date": days,
            "channel": ["web"] * 7,
            "order_lines": [100] * 7,
            "oversells": [2, 3, 2, 9, 12, 3, 2],
        }
    )
    assert orders.figures.burst_days(by_day) == [date(2026, 3, 4), date(2026, 3, 5)]
    figure = orders.figures.oversells_by_channel(by_day)
    assert len([s for s in figure.layout.shapes if s.type == "rect"]) == 2
    assert (
        "2 burst days" in figure.layout.title.text and "64% of them" in figure.layout.title.text
    )  # 21 of 33


def test_lane_figures_put_the_worst_lane_first(data):
    lanes = transfers.queries.transfer_lanes(data, Filters())
    accuracy = transfers.figures.lane_accuracy(lanes)
    assert list(accuracy.data[0].y)[-1] == "DC01 → S002"  # top of a horizontal bar chart
    assert list(accuracy.data[0].x)[-1] == 0.5
    cycle = transfers.figures.lane_cycle_time(lanes)
    p95 = next(t for t in cycle.data if t.name == "p95")
    assert list(p95.y)[-1] == "DC01 → S002"


def test_failure_rate_figure_shades_every_disruption(data):
    filters = Filters()
    figure = integrations.figures.failure_rate_with_disruptions(
        integrations.queries.api_failure_rate_by_day(data, filters),
        integrations.queries.integration_disruptions(data, filters),
    )
    assert {t.name for t in figure.data} == {"oms_erp", "pos_feed"}
    rectangles = [s for s in figure.layout.shapes if s.type == "rect"]
    assert len(rectangles) == 2
    labels = [a.text for a in figure.layout.annotations]
    assert "oms_erp: 30 min" in labels and "oms_erp: not recovered" in labels


def test_process_layout_orders_stages_left_to_right(data):
    edges = process.queries.process_transitions(data).filter(pl.col("workflow") == "order")
    positions = process.figures.process_layout(edges)
    columns = {node: x for node, (x, _) in positions.items()}
    assert columns == {
        "order_placed": 0,
        "reservation_requested": 1,
        "reservation_confirmed": 2,
        "reservation_failed": 2,
        "order_fulfilled": 3,
        "order_cancelled": 3,
    }


def test_process_map_draws_every_transition_with_its_count(data):
    edges = process.queries.process_transitions(data).filter(pl.col("workflow") == "order")
    figure = process.figures.process_map(edges, "order")
    loops_back = [s for s in figure.layout.shapes if "185, 28, 28" in s.line.color]
    assert len(figure.layout.shapes) == 7  # every edge but the self-loop
    assert len(loops_back) == 1  # reservation_failed -> reservation_requested
    labels = next(t for t in figure.data if t.name == "transitions").text
    assert "36 · 2 s" in labels
    nodes = next(t for t in figure.data if t.name == "activities").text
    assert any("order fulfilled" in n and "↻ 1" in n for n in nodes)


def test_risk_figures_draw_the_count_threshold_the_snapshot_records(data):
    """The publisher recorded the policy's 0.9: S002 and DC01 (1.0) are at or above it, S001
    (0.2) is not."""
    ranked = risk.queries.location_risk(data, Filters())
    threshold = data.snapshot.risk_threshold
    assert threshold == 0.9
    ranking = risk.figures.risk_ranking(ranked, threshold)
    assert {t.name for t in ranking.data} == {"north", "south"}
    assert list(ranking.layout.yaxis.categoryarray)[-1] == "S002"
    assert "2 locations ≥ 0.9" in ranking.layout.title.text
    drivers = risk.figures.risk_drivers(ranked, LOCATION_FEATURES)
    assert list(drivers.data[0].y)[0] == "S002"
    assert list(drivers.data[0].x)[0] == "count discrepancy rate"
    assert drivers.data[0].z[0][0] == 1.0  # S002 has the highest discrepancy rate
    regions = risk.figures.risk_by_region(ranked, threshold)
    assert "above 0.9: north 1/2, south 1/1" in regions.layout.title.text
    [line] = regions.layout.shapes
    assert (line.y0, line.y1) == (0.9, 0.9)


def test_a_snapshot_without_a_threshold_draws_none_and_says_so(tmp_path):
    """A snapshot published before the manifest recorded thresholds."""
    warehouse = build_warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        publish_snapshot(con, tmp_path / "snapshots")
    assert read_manifest(tmp_path / "snapshots")["thresholds"] == {}
    body, _ = render_page(SnapshotReader(tmp_path / "snapshots"), "/risk", Filters())
    regions = find_component(body, "risk-by-region").figure
    assert not regions.layout.shapes
    assert "records no count threshold" in regions.layout.title.text
    ranking = find_component(body, "risk-ranking").figure
    assert "records no count threshold" in ranking.layout.title.text


def test_cycle_count_figures(data):
    requests = cycle_counts.queries.cycle_count_requests(data, Filters())
    status = cycle_counts.figures.cycle_count_status(requests)
    assert dict(zip(status.data[0].x, status.data[0].y, strict=True)) == {
        "counted": 1,
        "open": 1,
    }
    results = cycle_counts.figures.cycle_count_results(requests)
    found = next(t for t in results.data if t.name == "found discrepancy value")
    assert list(found.y) == [20.0]
    assert "1 counted request · 1 of 2 counted SKUs off" in results.layout.title.text
    at_stake = cycle_counts.figures.cycle_count_value_at_stake(requests)
    assert {t.name for t in at_stake.data} == {"counted", "open"}
    assert list(at_stake.layout.yaxis.categoryarray) == ["CC-2 · DC01", "CC-1 · S002"]


def test_exception_figures_rank_workflows_and_locations(data):
    summary = exceptions.queries.exception_summary(data, Filters())
    by_workflow = exceptions.figures.exception_value_by_workflow(summary)
    assert "6 open exceptions worth 112 at cost" in by_workflow.layout.title.text
    by_location = exceptions.figures.exception_value_by_location(
        exceptions.queries.exception_value_by_location(data, Filters())
    )
    assert list(by_location.layout.xaxis.categoryarray) == ["S002", "DC01", "S001"]


@pytest.mark.parametrize(
    "build, frame",
    [
        (
            lambda f: orders.figures.reservation_latency_histogram(
                f, KpiValues((), pl.DataFrame(), {})
            ),
            pl.DataFrame(schema={"channel": pl.String, "latency_s": pl.Float64}),
        ),
        (transfers.figures.lane_accuracy, pl.DataFrame()),
        (exceptions.figures.exception_value_by_workflow, pl.DataFrame()),
        (lambda f: risk.figures.risk_ranking(f, 0.9), pl.DataFrame()),
        (cycle_counts.figures.cycle_count_results, pl.DataFrame(schema={"skus_counted": pl.Int64})),
        (lambda f: process.figures.process_map(f, "order"), pl.DataFrame()),
    ],
)
def test_empty_results_give_a_figure_that_says_so(build, frame):
    figure = build(frame)
    assert not figure.data
    assert figure.layout.annotations[0].text


def test_durations_read_at_a_glance():
    assert [theme.format_duration(s) for s in (5, 600, 7200, 3 * 86400, None)] == [
        "5 s",
        "10 min",
        "2.0 h",
        "3.0 d",
        "–",
    ]


# -- pages, app and report ----------------------------------------------------------------


def _ids(component) -> set[str]:
    found = set()
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if isinstance(getattr(node, "id", None), str):  # a graph's or table's card holds it
            found.add(node.id)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


EXPECTED_IDS = {
    "overview": {"overview-kpis", "spark-order-exception-rate", "overview-exceptions"},
    "changes": {
        "changes-compared",
        "changes-exceptions",
        "changes-exceptions-table",
        "changes-kpis",
        "changes-kpis-table",
        "changes-sources-table",
    },
    "orders": {
        "orders-latency",
        "orders-failure-reasons",
        "orders-oversells",
        "orders-oversold-skus",
        "orders-exception-rate",
        "orders-open-exceptions",
    },
    "transfers": {"transfers-lane-accuracy", "transfers-lane-cycle-time", "transfers-origin-trend"},
    "returns": {"returns-disposition-by-location", "returns-stalled", "returns-stalled-table"},
    "reconciliation": {"reconciliation-lag-trend", "reconciliation-backlog-aging"},
    "integrations": {"integrations-failure-rate", "integrations-recovery"},
    "process": {"process-tabs", "process-map-order", "process-map-return"},
    "exceptions": {
        "exceptions-by-workflow",
        "exceptions-by-location",
        "exceptions-table",
        "work-panel",
    },
    "risk": {
        "risk-ranking",
        "risk-drivers",
        "risk-by-region",
        "risk-table",
        "risk-categories-table",
    },
    "cycle-counts": {
        "cycle-counts-status",
        "cycle-counts-at-stake",
        "cycle-counts-results",
        "cycle-counts-table",
    },
}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_every_page_renders_its_elements(snapshots, page):
    body, status = render_page(
        SnapshotReader(snapshots), page.path, Filters(channels=("web",), regions=("south",))
    )
    assert "page-error" not in str(body)
    assert EXPECTED_IDS[page.slug] <= _ids(body)
    assert status.startswith("snapshot v-")


def test_pages_without_the_risk_tables_show_an_empty_state(tmp_path):
    reader = SnapshotReader(publish_fixture_snapshot(tmp_path, with_risk_tables=False))
    for path, table in (("/risk", "location_risk"), ("/cycle-counts", "cycle_count_requests")):
        body, _ = render_page(reader, path, Filters())
        text = str(body)
        assert "empty-state" in text and f"no {table} table yet" in text
        assert "page-error" not in text


def test_unknown_pages_and_missing_snapshots_answer_politely(snapshots, tmp_path):
    body, _ = render_page(SnapshotReader(snapshots), "/nope", Filters())
    assert "Page not found" in str(body)
    body, status = render_page(SnapshotReader(tmp_path / "empty"), "/overview", Filters())
    assert "no-snapshot" in str(body) and status == "no snapshot"


def test_the_app_serves_its_shell_on_every_page_url(snapshots):
    client = create_app(snapshots).server.test_client()
    for page in PAGES:
        assert client.get(page.path).status_code == 200
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and b"filter-channel" in layout.data


def test_report_is_one_offline_html_file(snapshots, tmp_path):
    path = write_report(snapshots, tmp_path / "reports" / "report.html")
    text = path.read_text()
    assert "<script src" not in text  # plotly.js is inlined, nothing to fetch
    assert text.count("Plotly.newPlot") == 7
    assert "Orders with an exception" in text and "Which lanes arrive short?" in text
    assert "2 locations ≥ 0.9" in text  # the snapshot's count threshold
    again = write_report(open_snapshot(snapshots), tmp_path / "again.html").read_text()
    assert again.count("Plotly.newPlot") == 7 and "2 locations ≥ 0.9" in again


def test_report_over_all_dates_has_no_previous_period(snapshots, tmp_path):
    text = write_report(snapshots, tmp_path / "all.html", Filters()).read_text()
    assert "all dates" in text and text.count("Plotly.newPlot") == 7
    assert text.count("no previous period") == 12  # the catalog's headline KPIs


# -- days Python cannot hold --------------------------------------------------------------

# 1 BC, after 9999, infinity: a warehouse ingested before timestamps were bounded can hold
# them (an event at 0001-01-01T03:00+05:00 is stored in year 0, and kpi_daily follows).
UNDRAWABLE_DAYS = ("0000-12-31", "10000-01-01", "infinity")


@pytest.fixture(scope="module")
def undrawable_snapshots(tmp_path_factory) -> Path:
    """The fixture marts plus, in every table with dates, one row copied to each undrawable
    day (all its date and timestamp columns moved there)."""
    folder = tmp_path_factory.mktemp("undrawable")
    warehouse = build_warehouse(folder / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        for relation, columns in TABLES.items():
            temporal = [name for name, kind in columns.items() if kind in ("date", "timestamp")]
            for day in UNDRAWABLE_DAYS if temporal else ():
                moved = ", ".join(f"'{day}'::{columns[name]} as {name}" for name in temporal)
                con.execute(
                    f"insert into {relation} select * replace ({moved}) from {relation} limit 1"
                )
        publish_snapshot(con, folder / "snapshots")
    return folder / "snapshots"


def test_undrawable_days_reach_python_as_null_and_keep_their_rows(undrawable_snapshots):
    with snapshot_data(SnapshotReader(undrawable_snapshots)) as data:
        frame = data.frame(
            "select date '0000-12-31' as bc, timestamp '10000-01-01' as late, "
            "'-infinity'::timestamptz as never, date '2026-03-01' as fine, 1 as n"
        )
        assert frame.row(0) == (None, None, None, date(2026, 3, 1), 1)
        assert data.row("select min(kpi_date), max(kpi_date) from kpi_daily") == (None, None)
        days = data.frame("select kpi_date from kpi_daily")["kpi_date"]
        assert days.null_count() == len(UNDRAWABLE_DAYS)
        assert days.n_unique() == 10 + 1  # the fixture's ten days and "unknown"
        assert date_bounds(data) == (date(2026, 3, 1), date(2026, 3, 10))
    # the snapshot's clock is the latest as_of, infinity here: published as DuckDB spells it
    assert read_manifest(undrawable_snapshots)["as_of"] == "9999-12-31T23:59:59.999999"


def test_report_app_and_pages_survive_undrawable_days(undrawable_snapshots, tmp_path):
    text = write_report(undrawable_snapshots, tmp_path / "report.html").read_text()
    assert text.count("Plotly.newPlot") == 7
    # the default window (kpi_period's current period) ignores the undrawable copies
    assert "2026-03-03 to 2026-03-09" in text
    client = create_app(undrawable_snapshots).server.test_client()
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and b'"min_date_allowed":"2026-03-01"' in layout.data
    reader = SnapshotReader(undrawable_snapshots)
    for filters in (
        Filters(),  # "all dates": the undrawable rows are in the results
        Filters(start=date.min, end=date.max),
        Filters(start=date(2026, 3, 1), end=date(2026, 3, 10), locations=("S002",)),
    ):
        for page in PAGES:
            body, _ = render_page(reader, page.path, filters)
            assert "page-error" not in str(body), (page.slug, filters)
            assert EXPECTED_IDS[page.slug] <= _ids(body)


def test_periods_stop_at_the_first_day_python_knows():
    assert default_period(None, date(1, 1, 5)) == (date.min, date(1, 1, 5))
    previous = Filters(start=date(1, 1, 3), end=date(1, 1, 10)).previous_period()
    assert (previous.start, previous.end) == (date.min, date(1, 1, 2))
    assert Filters(start=date.min, end=date(1, 1, 10)).previous_period() is None
