"""The process map built incrementally: int_event_log and int_case_transitions recompute only
the cases a new batch touches, and equal a full refresh, also when a late event reorders an
existing case (its old edge goes away) or adds a line that a case-level event then reaches.

Every expected edge is worked out by hand from the events below."""

from __future__ import annotations

from datetime import datetime

import pytest
from dbt_fixtures import DbtRun, append_events, create_raw_warehouse, event_rows, query, ts

MODELS = "+process_transitions"

# Batch 1 (ingested 03-04 21:00). Order O1: placed, requested 60 s later, confirmed 120 s
# after that. O2 fails its reservation twice. Transfer T1 has lines X and Y, approved (no
# sku: every line) an hour after both requests; X ships. PO P1 is created and acknowledged.
BATCH_1 = [
    ("o1", "order_placed", "oms", "O1", "SKU1", "2026-03-04T10:00:00"),
    ("o2", "reservation_requested", "oms", "O1", "SKU1", "2026-03-04T10:01:00"),
    ("o3", "reservation_confirmed", "wms", "O1", "SKU1", "2026-03-04T10:03:00"),
    ("o4", "order_placed", "oms", "O2", "SKU1", "2026-03-04T11:00:00"),
    ("o5", "reservation_requested", "oms", "O2", "SKU1", "2026-03-04T11:00:30"),
    ("o6", "reservation_failed", "wms", "O2", "SKU1", "2026-03-04T11:01:30"),
    ("o7", "reservation_requested", "oms", "O2", "SKU1", "2026-03-04T11:02:30"),
    ("o8", "reservation_failed", "wms", "O2", "SKU1", "2026-03-04T11:03:00"),
    ("t1", "transfer_requested", "wms", "T1", "SKU1", "2026-03-04T08:00:00"),
    ("t2", "transfer_requested", "wms", "T1", "SKU2", "2026-03-04T08:00:00"),
    ("t3", "transfer_approved", "erp", "T1", None, "2026-03-04T09:00:00"),
    ("t4", "transfer_shipped", "wms", "T1", "SKU1", "2026-03-04T12:00:00"),
    ("p1", "po_created", "erp", "P1", "SKU1", "2026-03-04T07:00:00"),
    ("p2", "po_acknowledged", "supplier_portal", "P1", "SKU1", "2026-03-04T09:00:00"),
]
# Batch 2 (ingested 03-05 21:00). A late reservation_failed of O1 at 10:02 lands between
# its request and its confirmation: O1's requested -> confirmed edge (120 s) becomes
# requested -> failed -> confirmed (60 s each). A late request of a third line of T1 (08:30)
# gets the approval too. P1 is received; O3 is placed and fulfilled in the same second
# (the workflow order ranks placed first). O2 is not touched.
BATCH_2 = [
    ("o9", "reservation_failed", "wms", "O1", "SKU1", "2026-03-04T10:02:00"),
    ("t5", "transfer_requested", "wms", "T1", "SKU3", "2026-03-04T08:30:00"),
    ("p3", "po_received", "wms", "P1", "SKU1", "2026-03-05T07:00:00"),
    ("o11", "order_fulfilled", "pos", "O3", "SKU2", "2026-03-05T12:00:00"),
    ("o10", "order_placed", "pos", "O3", "SKU2", "2026-03-05T12:00:00"),
]

# (workflow, from, to): (transition_count, case_count, mean, p50, p95, min, max) in seconds
EDGES_AFTER_BATCH_1 = {
    # O1 60, O2 30
    ("order", "order_placed", "reservation_requested"): (2, 2, 45, 45, 58.5, 30, 60),
    ("order", "reservation_requested", "reservation_confirmed"): (1, 1, 120, 120, 120, 120, 120),
    # O2: 60 and 30 (twice in one case)
    ("order", "reservation_requested", "reservation_failed"): (2, 1, 45, 45, 58.5, 30, 60),
    ("order", "reservation_failed", "reservation_requested"): (1, 1, 60, 60, 60, 60, 60),
    # T1|SKU1 and T1|SKU2: 1 h each
    ("transfer", "transfer_requested", "transfer_approved"): (2, 2, 3600, 3600, 3600, 3600, 3600),
    ("transfer", "transfer_approved", "transfer_shipped"): (
        1,
        1,
        10800,
        10800,
        10800,
        10800,
        10800,
    ),
    ("replenishment", "po_created", "po_acknowledged"): (1, 1, 7200, 7200, 7200, 7200, 7200),
}
EDGES_AFTER_BATCH_2 = {
    ("order", "order_placed", "reservation_requested"): (2, 2, 45, 45, 58.5, 30, 60),
    # O1's new 60 s, O2's 60 s and 30 s: sorted 30, 60, 60
    ("order", "reservation_requested", "reservation_failed"): (3, 2, 50, 60, 60, 30, 60),
    ("order", "reservation_failed", "reservation_requested"): (1, 1, 60, 60, 60, 60, 60),
    ("order", "reservation_failed", "reservation_confirmed"): (1, 1, 60, 60, 60, 60, 60),
    ("order", "order_placed", "order_fulfilled"): (1, 1, 0, 0, 0, 0, 0),
    # SKU1 and SKU2 1 h, SKU3 30 min: sorted 1800, 3600, 3600; p95 at 1.9 -> 3600
    ("transfer", "transfer_requested", "transfer_approved"): (3, 3, 3000, 3600, 3600, 1800, 3600),
    ("transfer", "transfer_approved", "transfer_shipped"): (
        1,
        1,
        10800,
        10800,
        10800,
        10800,
        10800,
    ),
    ("replenishment", "po_created", "po_acknowledged"): (1, 1, 7200, 7200, 7200, 7200, 7200),
    ("replenishment", "po_acknowledged", "po_received"): (1, 1, 79200, 79200, 79200, 79200, 79200),
}


def events(rows, ingested_at: datetime) -> list[dict]:
    return event_rows(
        (
            {
                "event_id": event_id,
                "event_type": event_type,
                "source_system": source,
                "case_id": case_id,
                "sku": sku,
                "location_id": "DC01",
                "quantity": 1,
                "occurred_at": occurred_at,
            }
            for event_id, event_type, source, case_id, sku, occurred_at in rows
        ),
        ingested_at,
    )


def process_map(warehouse) -> dict:
    rows = query(
        warehouse,
        """select workflow, from_activity, to_activity, transition_count, case_count,
            mean_duration_s, p50_duration_s, p95_duration_s, min_duration_s, max_duration_s
        from marts.process_transitions""",
    )
    return {tuple(row[:3]): tuple(row[3:]) for row in rows}


def assert_edges(warehouse, expected: dict) -> None:
    edges = process_map(warehouse)
    assert edges.keys() == expected.keys()
    for edge, (count, cases, *durations) in expected.items():
        assert edges[edge][:2] == (count, cases), edge
        assert edges[edge][2:] == pytest.approx(durations), edge


def snapshot(warehouse) -> dict[str, list[tuple]]:
    return {
        "int_event_log": query(
            warehouse,
            "select * exclude (ingested_through) from intermediate.int_event_log order by all",
        ),
        "int_case_transitions": query(
            warehouse,
            "select * exclude (ingested_through) from intermediate.int_case_transitions "
            "order by all",
        ),
        "process_transitions": query(
            warehouse, "select * from marts.process_transitions order by all"
        ),
    }


@pytest.fixture
def built(tmp_path):
    """(warehouse, dbt): batch 1 built by dbt (models, data and unit tests of the lineage)."""
    warehouse = create_raw_warehouse(tmp_path / "warehouse.duckdb", events(BATCH_1, ts(4, 21)))
    dbt = DbtRun(warehouse, tmp_path)
    dbt("build", "--select", MODELS)
    return warehouse, dbt


def test_edges_of_a_tiny_log(built):
    warehouse, _ = built
    assert_edges(warehouse, EDGES_AFTER_BATCH_1)
    # T1's approval reaches both of its lines, each as its second event
    assert query(
        warehouse,
        """select case_key, event_id, case_event_index from intermediate.int_event_log
        where case_id = 'T1' order by all""",
    ) == [
        ("T1|SKU1", "t1", 1),
        ("T1|SKU1", "t3", 2),
        ("T1|SKU1", "t4", 3),
        ("T1|SKU2", "t2", 1),
        ("T1|SKU2", "t3", 2),
    ]


def test_late_events_rebuild_only_their_cases_and_equal_a_full_refresh(built):
    warehouse, dbt = built
    append_events(warehouse, events(BATCH_2, ts(5, 21)))
    dbt("build", "--select", MODELS, "--exclude-resource-type", "unit_test")
    assert_edges(warehouse, EDGES_AFTER_BATCH_2)

    # O1 re-ranked: the late failure is third, the confirmation moved to fourth
    assert query(
        warehouse,
        """select event_id, case_event_index from intermediate.int_event_log
        where case_key = 'O1|SKU1' order by case_event_index""",
    ) == [("o1", 1), ("o2", 2), ("o9", 3), ("o3", 4)]
    assert query(
        warehouse,
        """select from_event_index, from_activity, to_activity, duration_s
        from intermediate.int_case_transitions where case_key = 'O1|SKU1' order by 1""",
    ) == [
        (1, "order_placed", "reservation_requested", 60),
        (2, "reservation_requested", "reservation_failed", 60),
        (3, "reservation_failed", "reservation_confirmed", 60),
    ]
    # only the touched cases were rebuilt: untouched O2 keeps the first build's watermark
    for model in ("int_event_log", "int_case_transitions"):
        watermarks = dict(
            query(
                warehouse,
                f"select case_id, max(ingested_through) from intermediate.{model} group by 1",
            )
        )
        assert watermarks == {
            "O1": ts(5, 21),
            "O2": ts(4, 21),
            "O3": ts(5, 21),
            "T1": ts(5, 21),
            "P1": ts(5, 21),
        }, model
    incremental = snapshot(warehouse)

    dbt("run", "--select", MODELS, "--full-refresh")
    assert snapshot(warehouse) == incremental
