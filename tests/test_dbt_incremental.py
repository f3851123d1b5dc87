"""Incremental models: a sequence of incremental builds gives exactly what a --full-refresh
build of the same data gives, and each build rewrites only the rows its new data changes.

The sequence (tests/data/dbt_events/README.md) starts from the four base days, fully built:

1. day 5, with new events for cases of earlier days in every workflow, late events dated on
   days already built, and cases that change only because the data horizon moved;
2. a few cycle-count answers, nothing else (the demo's second run);
3. a replay of the integration gateway's log for 03-01 .. 03-03, which moves the data
   horizon back by a day.

After each build every staging, intermediate and mart table and view equals a full refresh
of the same raw data, less the watermark column; the watermark then shows which rows the
build rewrote: rows of untouched cases keep the one of the build that wrote them.
"""

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from dbt_fixtures import (
    DbtRun,
    append_events,
    built_base_warehouse,
    day5_events,
    load_events,
    query,
    ts,
)

# Every incremental model carries its watermark, ingested_through (macros/incremental.sql):
# the one column that legitimately differs between an incremental sequence and a full refresh.
WATERMARK = "ingested_through"

# the ingested_at of each step's events: the watermark of the rows its build wrote
BASE = ts(4, 21)
DAY5 = ts(5, 21)
ANSWERS = ts(6, 10)
REPLAY = ts(6, 12)

STEPS = {
    "day5": day5_events,
    "answers": lambda: load_events("day5_cycle_count_answers", ANSWERS),
    "replay": lambda: load_events("gateway_replay", REPLAY),
}
# a data test the build runs on int_cycle_counts' new rows only (macros/test_slices.sql)
SLICED_TEST = "unique_int_cycle_counts_event_id.sql"
SLICE_SQL = "where ingested_through = (select max(ingested_at) from"


def snapshot(warehouse) -> dict[str, list[tuple]]:
    """Every table and view of staging, intermediate and marts, sorted."""
    relations = query(
        warehouse,
        """
        select table_schema, table_name from information_schema.tables
        where table_schema in ('staging', 'intermediate', 'marts')
        order by 1, 2""",
    )
    result = {}
    for schema, name in relations:
        columns = [
            column
            for (column,) in query(
                warehouse,
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            )
            if column != WATERMARK
        ]
        quoted = ", ".join(f'"{column}"' for column in columns)
        rows = query(warehouse, f"select {quoted} from {schema}.{name} order by all")
        # float sums may differ in the last bits with the order of aggregation
        result[f"{schema}.{name}"] = [
            tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows
        ]
    return result


def assert_equals_full_refresh(warehouse: Path, tmp_path: Path, command: str = "run") -> None:
    """The incremental warehouse equals a full refresh of a copy of it (same raw data)."""
    incremental = snapshot(warehouse)
    refreshed = tmp_path / "full_refresh.duckdb"
    shutil.copy(warehouse, refreshed)
    unit_tests = ["--exclude-resource-type", "unit_test"] if command == "build" else []
    DbtRun(refreshed, tmp_path)(command, "--full-refresh", *unit_tests)
    full_refresh = snapshot(refreshed)
    assert incremental.keys() == full_refresh.keys()
    for relation in incremental:
        assert incremental[relation] == full_refresh[relation], relation
    assert len(incremental["marts.kpi_daily"]) > 100


def watermarks(warehouse, model: str, key: str) -> dict:
    """key -> the model's watermark on that key's rows (one value per key)."""
    rows = query(
        warehouse,
        f"select {key}, min({WATERMARK}), max({WATERMARK}) from intermediate.{model} group by 1",
    )
    assert all(low == high for _, low, high in rows), model
    return {row[0]: row[1] for row in rows}


def rewritten(warehouse, model: str, key: str, by: datetime) -> set:
    """The keys whose rows the build with watermark `by` wrote; the other rows must carry
    an earlier one."""
    marks = watermarks(warehouse, model, key)
    assert all(mark <= by for mark in marks.values()), model
    return {k for k, mark in marks.items() if mark == by}


@pytest.fixture(scope="module")
def sequence(tmp_path_factory) -> dict[str, Path]:
    """The base warehouse built in full, then each step's events landed and built
    incrementally: a copy of the warehouse after each step (and the compiled SQL of a
    sliced data test)."""
    base_warehouse, _ = built_base_warehouse(tmp_path_factory)
    work_dir = tmp_path_factory.mktemp("dbt_incremental")
    warehouse = work_dir / "warehouse.duckdb"
    shutil.copy(base_warehouse, warehouse)
    dbt = DbtRun(warehouse, work_dir)
    built = {}
    for step, events in STEPS.items():
        append_events(warehouse, events())
        dbt("build", "--exclude-resource-type", "unit_test")
        built[step] = work_dir / f"{step}.duckdb"
        shutil.copy(warehouse, built[step])
        [compiled] = (work_dir / "target" / "compiled").rglob(SLICED_TEST)
        built[f"{step}_sliced_test"] = compiled.read_text()
    return built


def test_day5_equals_full_refresh_and_rewrites_only_what_it_touched(sequence, tmp_path):
    warehouse = sequence["day5"]
    assert query(warehouse, "select horizon_at from intermediate.int_data_horizon") == [
        (ts(5, 20),)
    ]
    base_events = len(load_events("base", BASE))
    assert query(warehouse, "select count(*) from staging.stg_inventory_events")[0][0] == (
        base_events + len(day5_events())
    )

    # the late event (03-02) moved the ledger's reprocessing start: 03-01 was left as it was
    ledger = watermarks(warehouse, "int_stock_ledger_daily", "ledger_date")
    assert ledger[date(2026, 3, 1)] == BASE
    assert {ledger[date(2026, 3, day)] for day in (2, 3, 4, 5)} == {DAY5}
    closing = [
        row[0]
        for row in query(
            warehouse,
            """
        select closing_quantity from marts.fct_stock_positions
        where sku = 'SKU1' and location_id = 'S001' order by position_date""",
        )
    ]
    assert closing == [6, 18, 17, 17, 16]

    # oms_erp: the late success at 03-02 10:03:30 split that day's five failures (3 + 2);
    # the end-of-data run of 03-04 went on with two failures on 03-05 and recovered at
    # 08:00, 12 h 4 min after it started; the numbering moved on by one call
    assert query(
        warehouse,
        """
        select disruption_id, started_at, failed_calls, recovered_at
        from intermediate.int_integration_disruptions""",
    ) == [("oms_erp:4", ts(4, 19, 56), 7, ts(5, 8))]
    assert query(
        warehouse,
        """
        select value from marts.kpi_daily where kpi_date = '2026-03-04' and dimension = 'all'
            and kpi_name = 'disruption_recovery_time_min'""",
    ) == [(724.0,)]

    # new events for cases of earlier days, some dated on days already built
    assert query(
        warehouse,
        "select transfer_status, received_quantity from intermediate.int_transfers "
        "where transfer_id = 'T3'",
    ) == [("received", 3)]
    assert query(
        warehouse,
        "select return_status, disposition from intermediate.int_returns where return_id = 'R3'",
    ) == [("disposed", "scrap")]
    assert query(
        warehouse,
        "select line_status, is_fulfilled_late, is_open_overdue from intermediate.int_order_lines "
        "where order_id = 'O7'",
    ) == [("fulfilled", True, True)]
    assert query(
        warehouse,
        "select received_quantity, is_fully_received, is_late from intermediate.int_purchase_orders "
        "where po_id = 'P-close-4'",
    ) == [(5, False, False)]
    assert query(
        warehouse,
        "select posting_event_id, is_posted, is_unreconciled, is_unposted_at_horizon "
        "from intermediate.int_erp_reconciliation where event_id = 'e083'",
    ) == [("f025", True, True, False)]
    # changed by the horizon alone: O8, open since 03-02 09:00, is 83 h old (overdue after 72
    # h); M-close-4, placed at 03-04 20:00, is past its 6 h SLA (stalled)
    assert query(
        warehouse,
        "select is_open_overdue from intermediate.int_order_lines where order_id = 'O8'",
    ) == [(True,)]
    assert query(
        warehouse,
        "select has_overdue_open_line from intermediate.int_orders where order_id = 'O8'",
    ) == [(True,)]
    assert query(
        warehouse,
        "select stage, is_stalled from intermediate.int_case_sla where case_key = 'M-close-4|SKU2'",
    ) == [("order_placed", True)]

    # what the build rewrote: the touched cases, and the lines the horizon flipped (O8); the
    # other rows kept the base build's watermark
    orders_touched = {"O7", "O10", "O-close-5", "M-close-5"}
    assert rewritten(warehouse, "int_transfers", "transfer_id", DAY5) == {"T3"}
    assert rewritten(warehouse, "int_returns", "return_id", DAY5) == {"R3"}
    assert rewritten(warehouse, "int_order_lines", "order_id", DAY5) == orders_touched | {"O8"}
    assert rewritten(warehouse, "int_orders", "order_id", DAY5) == orders_touched | {"O8"}
    assert rewritten(warehouse, "int_reservations", "order_id", DAY5) == {"O10", "O-close-5"}
    assert rewritten(warehouse, "int_purchase_orders", "po_id", DAY5) == {"P-close-4", "P-close-5"}
    # O8 and M-close-4 have no new event: their cases are as they were, only judged anew
    assert rewritten(warehouse, "int_process_cases", "case_key", DAY5) == {
        "T3|SKU2",
        "R3|SKU1",
        "O7|SKU2",
        "O10|SKU2",
        "O-close-5|SKU1",
        "M-close-5|SKU2",
        "P-close-4",
        "P-close-5",
    }
    # oms_erp from the call before the late one (10:03); pos_feed untouched
    assert set(watermarks(warehouse, "int_api_calls", "event_id")) - rewritten(
        warehouse, "int_api_calls", "event_id", DAY5
    ) == {"e096", "e097", "e098", "e099", "e100"}
    assert rewritten(warehouse, "int_cycle_counts", "event_id", DAY5) == {"f017", "f018"}
    # the day's stock moves, and tk3's move of 03-02 which f025 posted
    assert rewritten(warehouse, "int_stock_move_postings", "event_id", DAY5) == {
        "f001",
        "f003",
        "f019",
        "f022",
        "f023",
        "e083",
    }

    # a full refresh runs every data test on every row
    assert_equals_full_refresh(warehouse, tmp_path, "build")
    [compiled] = (tmp_path / "target" / "compiled").rglob(SLICED_TEST)
    assert "ingested_through" not in compiled.read_text()


def test_cycle_count_answers_rewrite_nothing_else(sequence, tmp_path):
    warehouse = sequence["answers"]
    # dated 03-06 on a thin day: the horizon stays
    assert query(warehouse, "select horizon_at from intermediate.int_data_horizon") == [
        (ts(5, 20),)
    ]
    assert rewritten(warehouse, "int_cycle_counts", "event_id", ANSWERS) == {"g001", "g002"}
    assert rewritten(warehouse, "int_stock_move_postings", "event_id", ANSWERS) == {"g003"}
    for model, key in [
        ("int_transfers", "transfer_id"),
        ("int_returns", "return_id"),
        ("int_order_lines", "order_id"),
        ("int_orders", "order_id"),
        ("int_reservations", "order_id"),
        ("int_purchase_orders", "po_id"),
        ("int_process_cases", "case_key"),
        ("int_api_calls", "event_id"),
    ]:
        assert rewritten(warehouse, model, key, ANSWERS) == set(), model
    assert query(
        warehouse,
        "select counted_quantity, system_quantity, is_accurate from intermediate.int_cycle_counts "
        "where event_id = 'g001'",
    ) == [(15, 16, False)]
    # the build tested the new slice of int_cycle_counts only (macros/test_slices.sql)
    assert SLICE_SQL in sequence["answers_sliced_test"]

    assert_equals_full_refresh(warehouse, tmp_path)


def test_horizon_moving_back_equals_full_refresh(sequence, tmp_path):
    warehouse = sequence["replay"]
    # 41 replayed pos_feed calls on 03-01 .. 03-03 make the gateway's typical day 18 calls:
    # 03-05's four fall below a quarter of it, so its watermark, and the horizon, go back
    assert query(
        warehouse, "select horizon_at, horizon_source from intermediate.int_data_horizon"
    ) == [(ts(4, 20), "integration_gateway")]
    # O8 is 59 h old again: not overdue
    assert query(
        warehouse,
        "select is_open_overdue from intermediate.int_order_lines where order_id = 'O8'",
    ) == [(False,)]
    assert rewritten(warehouse, "int_order_lines", "order_id", REPLAY) == {"O8"}
    # the cases of 03-05 are out of sight again; R3's inspection (03-05 10:00) too, so it is
    # back at return_received, stalled; M-close-4 is just placed
    cases = watermarks(warehouse, "int_process_cases", "case_key")
    assert not {"O10|SKU2", "O-close-5|SKU1", "M-close-5|SKU2", "P-close-5"} & set(cases)
    assert query(
        warehouse,
        "select case_key, stage, is_stalled from intermediate.int_case_sla "
        "where case_key in ('R3|SKU1', 'M-close-4|SKU2') order by 1",
    ) == [("M-close-4|SKU2", "order_placed", False), ("R3|SKU1", "return_received", True)]
    assert rewritten(warehouse, "int_process_cases", "case_key", REPLAY) == {
        "R3|SKU1",
        "P-close-4",
    }
    assert cases["T1|SKU1"] == BASE
    # pos_feed renumbered from the first replayed call (before any stored one); oms_erp kept
    calls = watermarks(warehouse, "int_api_calls", "event_id")
    assert {call for call, mark in calls.items() if mark == REPLAY} == {"e096", "e097"} | {
        f"r{n:03d}" for n in range(1, 42)
    }

    assert_equals_full_refresh(warehouse, tmp_path)
