"""The data horizon on a real `dbt build`: stray dates (9999-12-31, 2000-01-01) cannot blow up
the daily stock ledger, and a late out-of-band file (cycle-count answers) moves neither the
horizon nor the days before it. The dataset and its hand-computed ledger are in
dbt_fixtures.regular_feed_events."""

import shutil
from datetime import date, datetime

import pytest
from dbt_fixtures import (
    DbtRun,
    append_events,
    create_raw_warehouse,
    cycle_count_answers,
    query,
    regular_feed_events,
    ts,
)

HORIZON = (datetime(2026, 3, 2, 18), date(2026, 3, 2), date(2026, 3, 1), "marketplace")
D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(warehouse, work_dir) of regular_feed_events after a full build (models and data
    tests; the unit tests run in test_dbt_build). Read-only: copy it to change it."""
    work_dir = tmp_path_factory.mktemp("dbt_horizon")
    warehouse = create_raw_warehouse(work_dir / "warehouse.duckdb", regular_feed_events())
    DbtRun(warehouse, work_dir)("build", "--exclude-resource-type", "unit_test")
    return warehouse, work_dir


def horizon(warehouse):
    return query(
        warehouse,
        "select horizon_at, horizon_date, data_start_date, horizon_source "
        "from intermediate.int_data_horizon",
    )


def watermarks(warehouse) -> dict[str, tuple]:
    rows = query(
        warehouse,
        "select source_system, watermark_at, regular_from_at, latest_occurred_at, "
        "events_outside_regular_days from intermediate.int_source_watermarks",
    )
    return {row[0]: row[1:] for row in rows}


def test_stray_dates_move_no_watermark(built):
    warehouse, _ = built
    assert horizon(warehouse) == [HORIZON]
    marks = watermarks(warehouse)
    # pos: its 2000-01-01 adjustment neither starts the feed nor counts as regular
    assert marks["pos"] == (
        datetime(2026, 3, 2, 22),
        datetime(2026, 3, 1),
        datetime(2026, 3, 2, 22),
        1,
    )
    # wms: complete through 03-02 22:00 although it holds an event dated 9999-12-31
    assert marks["wms"] == (
        datetime(2026, 3, 2, 22),
        datetime(2026, 3, 1),
        datetime(9999, 12, 31, 23, 59, 59),
        1,
    )
    assert marks["marketplace"][0] == datetime(2026, 3, 2, 18)


def test_stock_ledger_stays_within_the_horizon(built):
    warehouse, _ = built
    rows = query(
        warehouse,
        "select sku, location_id, ledger_date, closing_quantity "
        "from intermediate.int_stock_ledger_daily order by all",
    )
    # six rows by hand: three positions x two days; DC01/SKU1 (only the 9999 receipt) has none
    assert rows == [
        ("SKU1", "S001", D1, 10),
        ("SKU1", "S001", D2, 8),
        ("SKU1", "S002", D1, 5),
        ("SKU1", "S002", D2, 5),
        ("SKU2", "S002", D1, -1),  # the 2000-01-01 adjustment, booked on the data's first day
        ("SKU2", "S002", D2, -1),
    ]
    [(last_day,)] = query(
        warehouse, "select max(ledger_date) from intermediate.int_stock_ledger_daily"
    )
    assert last_day <= date(2026, 3, 3)  # horizon date + 1


def test_kpi_days_outside_the_horizon_are_incomplete(built):
    warehouse, _ = built
    days = dict(query(warehouse, "select distinct kpi_date, is_complete from marts.kpi_daily"))
    # the stray dates still count where a KPI needs them (unreconciled_events by day of the
    # move), as incomplete days
    assert days == {
        date(2000, 1, 1): False,
        D1: True,
        D2: True,
        date(9999, 12, 31): False,
    }


def test_late_cycle_count_answers_change_nothing_before_the_horizon(built, tmp_path):
    base, _ = built
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(base, warehouse)

    def state():
        return {
            "horizon": horizon(warehouse),
            "watermarks": {source: marks[0] for source, marks in watermarks(warehouse).items()},
            "kpis": query(
                warehouse,
                "select * exclude (ingested_through) from marts.kpi_daily where kpi_date <= "
                "(select horizon_date from intermediate.int_data_horizon) order by all",
            ),
            "ledger": query(
                warehouse,
                "select * exclude (ingested_through) from intermediate.int_stock_ledger_daily "
                "order by all",
            ),
            "exceptions": query(warehouse, "select * from marts.exception_queue order by all"),
            "stalled": query(warehouse, "select * from marts.stalled_cases order by all"),
        }

    before = state()
    append_events(warehouse, cycle_count_answers())
    DbtRun(warehouse, tmp_path)("build", "--exclude-resource-type", "unit_test")
    after = state()

    for part in before:
        assert after[part] == before[part], part
    assert len(before["kpis"]) > 20
    # the answers did land: pos's latest event moved, its watermark did not; their day is
    # reported, as an incomplete one
    assert watermarks(warehouse)["pos"][2] == datetime(2026, 3, 4, 9, 5)
    assert query(
        warehouse,
        "select value, is_complete from marts.kpi_daily where kpi_date = '2026-03-04' "
        "and kpi_name = 'inventory_record_accuracy' and dimension = 'all'",
    ) == [(2 / 3, False)]


def test_ledger_follows_a_horizon_that_moves_back(tmp_path):
    """oms is late to connect: first the ledger runs to marketplace's 03-02; then oms lands
    its backlog, which ends 03-01 22:00. The incremental ledger drops 03-02 (pre-hook) and
    equals a full refresh."""
    events = regular_feed_events({"oms": -1})  # oms: 03-01 only
    backlog = [
        dict(event, ingested_at=ts(3, 6)) for event in events if event["source_system"] == "oms"
    ]
    warehouse = create_raw_warehouse(
        tmp_path / "warehouse.duckdb", [e for e in events if e["source_system"] != "oms"]
    )
    dbt = DbtRun(warehouse, tmp_path)
    ledger_sql = (
        "select * exclude (ingested_through) from intermediate.int_stock_ledger_daily order by all"
    )

    dbt("run", "--select", "+int_stock_ledger_daily")
    assert horizon(warehouse) == [HORIZON]
    assert {row[2] for row in query(warehouse, ledger_sql)} == {D1, D2}

    append_events(warehouse, backlog)
    dbt("run", "--select", "+int_stock_ledger_daily")
    assert horizon(warehouse) == [(datetime(2026, 3, 1, 22), D1, D1, "oms")]
    incremental = query(warehouse, ledger_sql)
    assert [(row[0], row[1], row[2]) for row in incremental] == [
        ("SKU1", "S001", D1),
        ("SKU1", "S002", D1),
        ("SKU2", "S002", D1),
    ]

    dbt("run", "--select", "+int_stock_ledger_daily", "--full-refresh")
    assert query(warehouse, ledger_sql) == incremental
