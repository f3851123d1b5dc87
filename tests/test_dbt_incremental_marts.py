"""The incremental marts (kpi_daily, kpi_observations, case_events, fct_stock_positions):
batches of late events, each aimed at one rule of what a build must recompute, rebuild only
the days and cases those rules name and give exactly what a --full-refresh build gives.

The batches are tests/data/dbt_events/marts_batches.jsonl (its README section says what each
plants), landed one after the other on the base warehouse (03-01 .. 03-04, horizon 03-04
20:00). A day or case a build recomputed carries that build's ingested_through.
"""

import json
import shutil
from datetime import date, datetime

import duckdb
import pytest
from dbt_fixtures import (
    EVENTS_DIR,
    DbtRun,
    append_events,
    built_base_warehouse,
    event_rows,
    query,
    ts,
)
from test_dbt_incremental import snapshot

MARTS = ["kpi_daily", "kpi_observations", "case_events", "fct_stock_positions"]
SELECT = [f"+{mart}" for mart in MARTS]


def batch(name: str) -> list[dict]:
    lines = (EVENTS_DIR / "marts_batches.jsonl").read_text().splitlines()
    return [record for record in map(json.loads, lines) if record["batch"] == name]


def days(first: int, last: int) -> set[date]:
    return {date(2026, 3, day) for day in range(first, last + 1)}


def rebuilt_days(warehouse, mart: str, ingested_at: datetime) -> set[date]:
    return {
        day
        for (day,) in query(
            warehouse,
            f"select distinct kpi_date from marts.{mart} where ingested_through = ?",
            [ingested_at],
        )
    }


def rebuilt_cases(warehouse, ingested_at: datetime) -> set[str]:
    return {
        case_id
        for (case_id,) in query(
            warehouse,
            "select distinct case_id from marts.case_events where ingested_through = ?",
            [ingested_at],
        )
    }


def kpi(warehouse, name: str, day: int, dimension: str = "all", value: str = "all"):
    rows = query(
        warehouse,
        """select value from marts.kpi_daily where kpi_name = ? and kpi_date = ?
            and dimension = ? and dimension_value = ?""",
        [name, date(2026, 3, day), dimension, value],
    )
    return rows[0][0] if rows else None


def equals_full_refresh(warehouse, tmp_path) -> None:
    """The four marts as built equal a --full-refresh of them (less the watermark)."""
    copy = tmp_path / "full_refresh.duckdb"
    shutil.copy(warehouse, copy)
    DbtRun(copy, tmp_path)("run", "--full-refresh", "-s", *MARTS)
    built, refreshed = snapshot(warehouse), snapshot(copy)
    for mart in MARTS:
        assert built[f"marts.{mart}"] == refreshed[f"marts.{mart}"], mart


def land(warehouse, work_dir, name: str, ingested_at: datetime, *args: str) -> None:
    append_events(warehouse, event_rows(batch(name), ingested_at))
    DbtRun(warehouse, work_dir)(*(args or ("run",)), "-s", *SELECT)


WEEK, LATE1, LATE2, LATE3 = ts(8, 21), ts(9, 1), ts(9, 2), ts(10, 21)


def test_late_events_rebuild_their_days_and_cases(tmp_path, tmp_path_factory):
    base, _ = built_base_warehouse(tmp_path_factory)
    work_dir = tmp_path / "incremental"
    work_dir.mkdir()
    warehouse = work_dir / "warehouse.duckdb"
    shutil.copy(base, warehouse)

    # week: the feeds close 03-05 .. 03-08, the horizon moves to 03-08 20:00
    land(warehouse, work_dir, "week", WEEK)
    assert query(warehouse, "select horizon_at from intermediate.int_data_horizon") == [
        (datetime(2026, 3, 8, 20),)
    ]
    assert kpi(warehouse, "unreconciled_events", 3) == 1  # tk5, never posted
    assert kpi(warehouse, "reservation_failure_rate", 1) == pytest.approx(1 / 7)
    assert kpi(warehouse, "reservation_failure_rate", 2) == 1.0  # O8's timeout

    # late1: O8's first request (03-01 23:00, at S002) moves its reservation from 03-02 to
    # 03-01: 03-02 is rebuilt for the case's other events only; tk5's posting (made
    # 03-04) reaches 03-03 only through the move it posts; O5's posting of its SKU2 line
    # rebuilds that closed case in case_events
    land(warehouse, work_dir, "late1", LATE1)
    # 03-05 .. 03-08: the horizon's day less 72 h (open order lines) through the horizon's
    assert rebuilt_days(warehouse, "kpi_daily", LATE1) == days(1, 8)
    assert rebuilt_days(warehouse, "kpi_observations", LATE1) == days(1, 4)
    assert kpi(warehouse, "reservation_failure_rate", 1) == pytest.approx(2 / 9)
    assert kpi(warehouse, "reservation_failure_rate", 2) is None
    assert kpi(warehouse, "unreconciled_events", 3) == 0  # posted 13 h after the sale
    assert query(
        warehouse,
        """select observation_value from marts.kpi_observations
        where kpi_family = 'reconciliation_time' and kpi_date = '2026-03-03'
        order by 1""",
    ) == [(1.0,)] * 4 + [(13.0,)]  # O6's fulfilment, tk4, A2, P1's receipt: 1 h each
    # the closed cases without news keep their rows; open ones follow the horizon
    assert {"O5", "O8"} <= rebuilt_cases(warehouse, LATE1)
    assert not {"O1", "O2", "T1", "R1", "P1"} & rebuilt_cases(warehouse, LATE1)
    equals_full_refresh(warehouse, tmp_path)

    # late2: +5 found at S002/SKU2 on 03-01 rewrites the ledger from 03-01 (its negative
    # book of 03-02 .. turns positive); T3's receipt (03-06) completes its 03-02 shipment;
    # P2's supplier revises its expected date to 03-02 12:00, so the 10:00 receipt is on time
    land(warehouse, work_dir, "late2", LATE2)
    assert rebuilt_days(warehouse, "kpi_daily", LATE2) == days(1, 8)
    assert rebuilt_days(warehouse, "kpi_observations", LATE2) == {
        date(2026, 3, 1),
        date(2026, 3, 2),
        date(2026, 3, 6),
    }
    assert [kpi(warehouse, "negative_stock_positions", day) for day in (2, 3, 4)] == [0, 0, 0]
    assert kpi(warehouse, "transfer_cycle_time_p50_h", 2) == 96.0
    assert kpi(warehouse, "transfer_accuracy", 2) == 1.0
    assert kpi(warehouse, "supplier_on_time_rate", 2) == 1.0
    assert query(
        warehouse,
        """select min(position_date), max(position_date), count(*)
        from marts.fct_stock_positions where ingested_through = ?""",
        [LATE2],
    ) == [(date(2026, 3, 1), date(2026, 3, 8), 48)]
    assert {"T3", "P2"} <= rebuilt_cases(warehouse, LATE2)
    equals_full_refresh(warehouse, tmp_path)

    # late3: an oms_erp success landed late at 03-05 07:00 recovers the 03-04 disruption an
    # hour earlier; only its span of calls (from the success of 03-02 10:12 to that of 03-05
    # 08:00) and the horizon window are rebuilt, 03-01 and 03-03 are kept. The feeds close
    # 03-09: R2's refund (dated 03-09 10:00, landed with the week) passes the horizon, which
    # rebuilds that closed case
    land(
        warehouse,
        work_dir,
        "late3",
        LATE3,
        "build",
        "--exclude-resource-type",
        "unit_test",
    )
    assert rebuilt_days(warehouse, "kpi_daily", LATE3) == {
        date(2026, 3, 2),
        date(2026, 3, 4),
    } | days(5, 9)
    assert rebuilt_days(warehouse, "kpi_observations", LATE3) == {
        date(2026, 3, 5),
        date(2026, 3, 9),
    }
    assert kpi(warehouse, "disruption_recovery_time_min", 4) == 664.0  # 19:56 .. 07:00
    assert query(
        warehouse,
        """select event_type, is_after_horizon, case_stage, ingested_through
        from marts.case_events where case_id = 'R2' order by event_index""",
    )[-1] == ("refund_issued", False, "refund_issued", LATE3)
    assert query(warehouse, "select distinct as_of from marts.case_events") == [
        (datetime(2026, 3, 9, 20),)
    ]
    assert query(
        warehouse,
        "select count(*) from marts.fct_stock_positions where ingested_through = ?",
        [LATE3],
    ) == [(6,)]
    equals_full_refresh(warehouse, tmp_path)

    # the data tests of an incremental build read its slice (macros/test_slices.sql): a bad
    # row on a kept day (03-01) fails the full set of kpi_daily's tests, not the slice's
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            """update marts.kpi_daily set dimension = 'nonsense'
            where kpi_date = '2026-03-01' and kpi_name = 'source_delivery_lag_p95_min'"""
        )
    dbt = DbtRun(warehouse, work_dir)
    dbt("test", "-s", "kpi_daily")
    everything = dbt("test", "-s", "kpi_daily", "--vars", "{full_tests: true}", check=False)
    assert everything.returncode != 0
    assert "FAIL 1 accepted_values_kpi_daily_dimension" in everything.stdout
