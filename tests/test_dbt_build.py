"""A real `dbt build` (models, data tests, unit tests) on the hand-made event log
tests/data/dbt_events/base.jsonl; every expected value below is worked out by hand from what
it plants (that folder's README)."""

from datetime import date, datetime

import pytest
from dbt_fixtures import built_base_warehouse, query, run_results

D1, D2, D3, D4 = (date(2026, 3, day) for day in (1, 2, 3, 4))

SPEC_KPIS = {
    "reservation_latency_p50_s",
    "reservation_latency_p95_s",
    "reservation_failure_rate",
    "order_exception_rate",
    "oversell_incidents",
    "transfer_accuracy",
    "transfer_cycle_time_p50_h",
    "transfer_cycle_time_p95_h",
    "returns_disposition_time_p50_h",
    "returns_disposition_time_p95_h",
    "reconciliation_time_p50_h",
    "reconciliation_time_p95_h",
    "unreconciled_events",
    "unposted_backlog",  # SPEC 5: the open backlog at the horizon, a figure of its own
    "stockout_rate",
    "negative_stock_positions",
    "inventory_record_accuracy",
    "supplier_on_time_rate",
    "source_delivery_lag_p95_min",
    "api_failure_rate",
    "integration_disruptions",
    "disruption_recovery_time_min",
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return built_base_warehouse(tmp_path_factory)[0]


def kpi(warehouse, day, name, dimension="all", value="all"):
    rows = query(
        warehouse,
        "select value, numerator, denominator from marts.kpi_daily where kpi_date = ? and "
        "kpi_name = ? and dimension = ? and dimension_value = ?",
        [day, name, dimension, value],
    )
    assert len(rows) == 1, (day, name, dimension, value, rows)
    return rows[0]


def test_build_ran_every_unit_and_data_test(tmp_path_factory):
    _, work_dir = built_base_warehouse(tmp_path_factory)
    results = run_results(work_dir)["results"]
    by_type: dict[str, int] = {}
    for result in results:
        assert result["status"] in ("success", "pass"), (result["unique_id"], result["status"])
        kind = result["unique_id"].split(".")[0]
        by_type[kind] = by_type.get(kind, 0) + 1
    assert by_type["unit_test"] >= 25
    assert by_type["test"] >= 100
    assert by_type["model"] >= 40


def test_every_spec_kpi_has_an_overall_row(warehouse):
    names = {
        name
        for (name,) in query(
            warehouse, "select distinct kpi_name from marts.kpi_daily where dimension = 'all'"
        )
    }
    assert names == SPEC_KPIS


@pytest.mark.parametrize(
    ("day", "name", "dimension", "dimension_value", "expected"),
    [
        # latencies 10, 30, 40, 60, 120, 300 s; O2's failed S002 attempt has no latency
        (D1, "reservation_latency_p50_s", "all", "all", (50.0, None, 6.0)),
        (D1, "reservation_latency_p95_s", "all", "all", (255.0, None, 6.0)),
        (D1, "reservation_latency_p50_s", "channel", "web", (60.0, None, 5.0)),
        (D1, "reservation_latency_p95_s", "location_id", "S001", (252.0, None, 5.0)),
        (D1, "reservation_failure_rate", "all", "all", (1 / 7, 1.0, 7.0)),
        (D1, "reservation_failure_rate", "reason_code", "insufficient_stock", (1 / 7, 1.0, 7.0)),
        (D2, "reservation_failure_rate", "location_id", "S002", (1.0, 1.0, 1.0)),
        # O2 failed, O3 oversold, O5 split, O6 late, O7 open 91.5 h; O1 and O4 clean
        (D1, "order_exception_rate", "all", "all", (5 / 7, 5.0, 7.0)),
        (D1, "order_exception_rate", "channel", "web", (0.75, 3.0, 4.0)),
        (D1, "order_exception_rate", "channel", "store", (0.0, 0.0, 1.0)),
        (D2, "order_exception_rate", "all", "all", (0.5, 1.0, 2.0)),
        (D1, "oversell_incidents", "all", "all", (1.0, None, None)),
        (D1, "oversell_incidents", "location_id", "S001", (1.0, None, None)),
        # T1 in full (24 h), T2 short (12 h); T3 still in transit
        (D1, "transfer_accuracy", "all", "all", (0.5, 1.0, 2.0)),
        (D1, "transfer_accuracy", "destination", "S002", (0.0, 0.0, 1.0)),
        (D1, "transfer_cycle_time_p50_h", "origin", "DC01", (18.0, None, 2.0)),
        (D1, "transfer_cycle_time_p95_h", "all", "all", (12 + 0.95 * 12, None, 2.0)),
        (D1, "returns_disposition_time_p50_h", "all", "all", (13.5, None, 2.0)),
        (D1, "returns_disposition_time_p95_h", "location_id", "S002", (24.0, None, 1.0)),
        # nine postings of 03-01 events: seven of 1 h, one of 2 h, one of 3 h
        (D1, "reconciliation_time_p50_h", "all", "all", (1.0, None, 9.0)),
        (D1, "reconciliation_time_p95_h", "all", "all", (2.6, None, 9.0)),
        (D2, "reconciliation_time_p50_h", "event_type", "transfer_received", (2.25, None, 2.0)),
        # unposted: O5's DC01 fulfilment (wms, 03-01), tk3 (pos, 03-02), tk5 (pos, 03-03, exactly
        # 24 h before the horizon: judged); every posting came within 3 h. Denominator: the
        # day's judged stock moves (03-01: 7 of wms; 03-03: O6, P1, tk4, tk5, A2). tk6 is only
        # 10 h old: 03-04 has nothing judged, so no row (test_unjudged_day_has_no_row)
        (D1, "unreconciled_events", "source_system", "wms", (1.0, 1.0, 7.0)),
        (D3, "unreconciled_events", "all", "all", (1.0, 1.0, 5.0)),
        # the backlog at the horizon (03-04): the same three moves, still unposted
        (D4, "unposted_backlog", "all", "all", (3.0, None, None)),
        (D4, "unposted_backlog", "source_system", "pos", (2.0, None, None)),
        (D4, "unposted_backlog", "source_system", "wms", (1.0, None, None)),
        # S001/SKU2 sold out on 03-01 (3 - 3); S002/SKU2 has no snapshot and goes negative
        (D1, "stockout_rate", "all", "all", (0.2, 1.0, 5.0)),
        (D2, "stockout_rate", "location_id", "S001", (0.5, 1.0, 2.0)),
        (D3, "stockout_rate", "all", "all", (0.0, 0.0, 5.0)),
        (D1, "negative_stock_positions", "all", "all", (0.0, None, None)),
        (D2, "negative_stock_positions", "location_id", "S002", (1.0, None, None)),
        (D2, "inventory_record_accuracy", "all", "all", (0.5, 1.0, 2.0)),
        (D2, "inventory_record_accuracy", "category", "apparel", (0.5, 1.0, 2.0)),
        (D3, "inventory_record_accuracy", "location_id", "S001", (1.0, 1.0, 1.0)),
        # P2 received after its (revised) expected date, P1 before its revised one
        (D2, "supplier_on_time_rate", "all", "all", (0.0, 0.0, 1.0)),
        (D3, "supplier_on_time_rate", "location_id", "S001", (1.0, 1.0, 1.0)),
        (D1, "source_delivery_lag_p95_min", "source_system", "pos", (30.0, None, 7.0)),
        (D1, "source_delivery_lag_p95_min", "source_system", "erp", (2.0, None, 28.0)),
        (D1, "api_failure_rate", "integration", "pos_feed", (0.0, 0.0, 2.0)),
        (D2, "api_failure_rate", "all", "all", (0.7, 7.0, 10.0)),
        (D2, "integration_disruptions", "all", "all", (1.0, None, None)),
        (D4, "integration_disruptions", "integration", "oms_erp", (1.0, None, None)),
        (D2, "disruption_recovery_time_min", "integration", "oms_erp", (6.0, 6.0, 1.0)),
    ],
)
def test_kpi_values(warehouse, day, name, dimension, dimension_value, expected):
    actual = kpi(warehouse, day, name, dimension, dimension_value)
    assert actual == pytest.approx(expected)


def test_disruption_at_the_end_has_no_recovery_time(warehouse):
    rows = query(
        warehouse,
        "select * from marts.kpi_daily where kpi_date = ? and kpi_name = "
        "'disruption_recovery_time_min'",
        [D4],
    )
    assert rows == []
    assert query(
        warehouse,
        "select started_at, recovered_at from "
        "marts.fct_integration_disruptions order by started_at",
    ) == [
        (datetime(2026, 3, 2, 10, 1), datetime(2026, 3, 2, 10, 7)),
        (datetime(2026, 3, 4, 19, 56), None),
    ]


def test_ratios_reaggregate_from_dimensions(warehouse):
    # the channel rows' numerators and denominators add up to the overall row
    rows = query(
        warehouse,
        """
        select kpi_name, kpi_date,
               sum(numerator) filter (where dimension = 'channel'),
               sum(denominator) filter (where dimension = 'channel'),
               sum(numerator) filter (where dimension = 'all'),
               sum(denominator) filter (where dimension = 'all')
        from marts.kpi_daily
        where kpi_name in ('order_exception_rate', 'reservation_failure_rate')
        group by kpi_name, kpi_date""",
    )
    for name, day, channel_num, channel_den, all_num, all_den in rows:
        assert (channel_num, channel_den) == (all_num, all_den), (name, day)


def test_stock_ledger_closing_quantities(warehouse):
    rows = dict(
        ((sku, location, day), closing)
        for sku, location, day, closing in query(
            warehouse,
            "select sku, location_id, position_date, closing_quantity "
            "from marts.fct_stock_positions",
        )
    )
    assert [rows[("SKU1", "S001", d)] for d in (D1, D2, D3, D4)] == [6, 16, 15, 15]
    # 03-03: the 12:00 snapshot (3) already holds the 08:00 sale; the 20:00 sale follows
    assert [rows[("SKU1", "S002", d)] for d in (D1, D2, D3, D4)] == [4, 7, 2, 2]
    assert [rows[("SKU1", "DC01", d)] for d in (D1, D2, D3, D4)] == [84, 134, 134, 134]
    assert [rows[("SKU2", "S001", d)] for d in (D1, D2, D3, D4)] == [0, 0, 20, 19]
    assert [rows[("SKU2", "S002", d)] for d in (D2, D3, D4)] == [-1, -3, -3]
    assert ("SKU2", "S002", D1) not in rows


def test_unjudged_day_has_no_row(warehouse):
    def days(name):
        sql = "select distinct kpi_date from marts.kpi_daily where kpi_name = ? order by 1"
        return [day for (day,) in query(warehouse, sql, [name])]

    # 03-04's only stock move (tk6) is younger than 24 h at the horizon: not judged yet
    assert days("unreconciled_events") == [D1, D2, D3]
    # the backlog is a state at the horizon: the horizon's day only
    assert days("unposted_backlog") == [D4]


def test_stalled_cases_and_exception_queue(warehouse):
    # stage SLAs (dbt_project.yml): order_placed and reservation_failed 6 h, return_received
    # 30 h, transfer_shipped 42 h; the PO created at the horizon is due in 5 days
    assert query(
        warehouse,
        "select workflow, case_key, stage, age_h, sla_hours from marts.stalled_cases "
        "order by case_key",
    ) == [
        ("order", "O7|SKU2", "order_placed", 91.5, 6.0),
        ("order", "O8|SKU1", "reservation_failed", pytest.approx(59 - 5 / 3600), 6.0),
        ("return", "R3|SKU1", "return_received", 79.0, 30.0),
        ("transfer", "T3|SKU2", "transfer_shipped", 58.0, 42.0),
    ]
    queue = query(
        warehouse,
        "select exception_type, reference_id, location_id, event_type, units, "
        "value_at_cost from marts.exception_queue order by impact_rank",
    )
    # O8 (failed at S002, never confirmed, still open) is listed once, as failed_reservation;
    # the unposted moves: tk5 (S002, SKU1), O5's DC01 fulfilment, tk3 (S002, SKU2)
    assert queue == [
        ("oversell", "O3|SKU2", "S001", "order_cancelled", 5, 20.0),
        ("stalled_case", "return:R3|SKU1", "S002", "return_received", 2, 20.0),
        ("negative_stock", "S002|SKU2", "S002", None, 3, 12.0),
        ("stalled_case", "transfer:T3|SKU2", "DC01", "transfer_shipped", 3, 12.0),
        ("failed_reservation", "O8|SKU1", "S002", "reservation_failed", 1, 10.0),
        ("unreconciled_event", queue[5][1], "S002", "sale", 1, 10.0),
        ("stalled_case", "order:O7|SKU2", None, "order_placed", 1, 4.0),
        ("unreconciled_event", queue[7][1], "DC01", "order_fulfilled", 1, 4.0),
        ("unreconciled_event", queue[8][1], "S002", "sale", 1, 4.0),
    ]
    [(min_age,)] = query(warehouse, "select min(age_h) from marts.exception_queue")
    assert min_age >= 0


def test_case_marts_carry_the_sla_flags(warehouse):
    stalled = query(
        warehouse,
        "select 'return', return_id, sla_hours from marts.fct_returns where is_stalled "
        "union all select 'transfer', transfer_id, sla_hours from marts.fct_transfers "
        "where is_stalled union all select 'order', order_id, sla_hours "
        "from marts.fct_order_lines where is_stalled order by 1, 2",
    )
    assert stalled == [
        ("order", "O7", 6.0),
        ("order", "O8", 6.0),
        ("return", "R3", 30.0),
        ("transfer", "T3", 42.0),
    ]
    # closed lines have no SLA; P-close-4 is due 5 days + 24 h after the horizon
    assert query(warehouse, "select sla_hours from marts.fct_returns where return_id = 'R1'") == [
        (None,)
    ]
    assert query(
        warehouse,
        "select po_id, due_at, is_late, is_fully_received from marts.fct_purchase_orders "
        "order by po_id",
    ) == [
        ("P-close-4", datetime(2026, 3, 10, 20), False, False),
        ("P1", datetime(2026, 3, 4, 18), False, True),
        ("P2", datetime(2026, 3, 3, 6), False, True),
    ]


def test_process_transitions(warehouse):
    edges = {
        (w, a, b): (n, p50)
        for w, a, b, n, p50 in query(
            warehouse,
            "select workflow, from_activity, to_activity, transition_count, "
            "p50_duration_s from marts.process_transitions",
        )
    }
    # O4 placed and fulfilled in the same second: placed comes first
    assert edges[("order", "order_placed", "order_fulfilled")] == (1, 0.0)
    assert edges[("order", "reservation_failed", "reservation_requested")] == (1, 40.0)
    assert edges[("transfer", "transfer_shipped", "transfer_received")] == (2, 64800.0)
    # both transfer lines see the case-level approval
    assert edges[("transfer", "transfer_requested", "transfer_approved")] == (2, 3600.0)
    assert edges[("replenishment", "po_created", "po_acknowledged")][0] == 2


def test_case_events_time_a_case_across_systems(warehouse):
    columns = (
        "event_index, event_type, source_system, channel, wait_since_previous_s, "
        "erp_posting_event_id, erp_posting_lag_h, case_stage, case_is_stalled, sla_hours"
    )
    # O1: placed and requested in the same second (the workflow's order breaks the tie), the
    # confirmation 30 s later (stored before the request), fulfilled at 10:00 by the WMS and
    # posted by e010 an hour later
    assert query(
        warehouse,
        f"select {columns} from marts.case_events where case_key = 'O1|SKU1' order by 1",
    ) == [
        (1, "order_placed", "ecommerce", "web", None, None, None, "order_fulfilled", False, 72.0),
        (2, "reservation_requested", "oms", "web", 0.0, None, None, "order_fulfilled", False, 72.0),
        (
            3,
            "reservation_confirmed",
            "erp",
            "web",
            30.0,
            None,
            None,
            "order_fulfilled",
            False,
            72.0,
        ),
        (4, "order_fulfilled", "wms", "web", 7170.0, "e010", 1.0, "order_fulfilled", False, 72.0),
    ]
    # R3: received an hour after it was initiated, then nothing: stalled at return_received,
    # due 30 h after it (03-02 19:00), 49 h over at the horizon (03-04 20:00)
    assert query(
        warehouse,
        "select event_type, wait_since_previous_s, case_is_stalled, due_at, hours_over_sla "
        "from marts.case_events where case_key = 'R3|SKU1' order by event_index",
    ) == [
        ("return_initiated", None, True, datetime(2026, 3, 2, 19), 49.0),
        ("return_received", 3600.0, True, datetime(2026, 3, 2, 19), 49.0),
    ]
