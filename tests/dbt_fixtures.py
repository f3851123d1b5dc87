"""A tiny hand-made raw warehouse for the dbt tests, and a dbt runner with isolated paths.

The dataset covers 2026-03-01 .. 2026-03-04 (``base_events``) plus one more day
(``day5_events``, with a late event for 2026-03-02) for the incremental test. Every KPI
value asserted in tests/test_dbt_build.py is worked out by hand from the comments here.
Every regular feed's last event of a day is at 20:00 (``close_feeds``), so the data horizon
(the earliest regular-feed watermark) is 2026-03-04 20:00, then 2026-03-05 20:00.
``regular_feed_events`` is a denser log for the horizon tests (tests/test_dbt_horizon.py).
The raw DDL follows docs/architecture.md ("Raw tables").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from omnistock.ingest import ensure_schema
from omnistock.ingest.rules import CANONICAL_FIELDS

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


LOCATIONS = [
    ("S001", "store", "north", "Store 1"),
    ("S002", "store", "south", "Store 2"),
    ("DC01", "dc", "north", "DC North"),
]
SKUS = [
    ("SKU1", "apparel", 10.0, 25.0, "A"),
    ("SKU2", "home", 4.0, 9.0, "B"),
]

# raw.inventory_events in column order: the canonical fields, then what ingestion adds.
EVENT_COLUMNS = (*CANONICAL_FIELDS, "source_file", "source_line", "ingested_at")


def ts(day: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    """A UTC time on 2026-03-<day>."""
    return datetime(2026, 3, day, hh, mm, ss)


@dataclass
class EventLog:
    """Collects events; ids are sequential, emitted_at defaults to occurred_at + 2 min."""

    ingested_at: datetime
    prefix: str = "e"
    rows: list[dict] = field(default_factory=list)

    def add(
        self,
        event_type: str,
        source: str,
        at: datetime,
        case: str,
        *,
        lag: timedelta = timedelta(minutes=2),
        attributes: dict | None = None,
        **fields,
    ) -> str:
        event_id = f"{self.prefix}{len(self.rows) + 1:03d}"
        row = dict.fromkeys(EVENT_COLUMNS)
        row.update(
            event_id=event_id,
            schema_version="1",
            event_type=event_type,
            source_system=source,
            occurred_at=at,
            emitted_at=at + lag,
            case_id=case,
            attributes=json.dumps(attributes or {}),
            source_file=f"{source}/batch.jsonl",
            source_line=len(self.rows) + 1,
            ingested_at=self.ingested_at,
        )
        row.update(fields)
        self.rows.append(row)
        return event_id

    def post(self, posted_event_id: str, at: datetime) -> str:
        """The ERP posting of a stock-moving event."""
        return self.add(
            "erp_posted",
            "erp",
            at,
            f"post-{posted_event_id}",
            attributes={"posted_event_id": posted_event_id},
        )

    def api(self, integration: str, at: datetime, status: int) -> str:
        return self.add(
            "api_call",
            "integration_gateway",
            at,
            f"call-{len(self.rows) + 1}",
            attributes={
                "integration": integration,
                "status_code": status,
                "latency_ms": 120,
                "attempt": 1,
            },
        )


def close_feeds(log: EventLog, day: int) -> None:
    """Each regular feed but integration_gateway delivers one more event at 20:00 on `day`
    (the ERP two, so that its day is not thin next to its typical day): the feeds' watermarks,
    and so the horizon, are `day` 20:00. No stock moves, nothing overdue or stalled: a web
    line requested and confirmed at DC01 in the same second, a marketplace line just placed, a
    PO created for 5 days later, and a pos and a wms cycle count that match the book."""
    at = ts(day, 20)
    web, marketplace = f"O-close-{day}", f"M-close-{day}"
    log.add("order_placed", "ecommerce", at, web, sku="SKU1", quantity=1, channel="web")
    log.add("reservation_requested", "oms", at, web, location_id="DC01", sku="SKU1", quantity=1)
    log.add("reservation_confirmed", "erp", at, web, location_id="DC01", sku="SKU1", quantity=1)
    log.add(
        "order_placed",
        "marketplace",
        at,
        marketplace,
        sku="SKU2",
        quantity=1,
        channel="marketplace",
    )
    log.add(
        "po_created",
        "erp",
        at,
        f"P-close-{day}",
        location_id="DC01",
        sku="SKU2",
        quantity=10,
        attributes={"expected_at": (at + timedelta(days=5)).isoformat() + "Z"},
    )
    for source, location in (("pos", "S001"), ("wms", "DC01")):
        log.add(
            "cycle_count_completed",
            source,
            at,
            f"C-close-{source}-{day}",
            location_id=location,
            sku="SKU1",
            quantity=1,
            attributes={"system_quantity": 1},
        )


def base_events() -> list[dict]:
    """2026-03-01 .. 2026-03-04; the data horizon is 2026-03-04 20:00."""
    log = EventLog(ingested_at=ts(4, 21))
    add, post = log.add, log.post

    # --- stock snapshots (ERP) at 03-01 00:00 -----------------------------------------
    for loc, sku, qty in [
        ("S001", "SKU1", 10),
        ("S002", "SKU1", 5),
        ("DC01", "SKU1", 100),
        ("S001", "SKU2", 3),
        ("DC01", "SKU2", 50),
    ]:
        add(
            "stock_snapshot",
            "erp",
            ts(1),
            f"snap-{loc}-{sku}",
            location_id=loc,
            sku=sku,
            quantity=qty,
        )

    # --- orders ---------------------------------------------------------------------------
    # O1 web: latency 30 s at S001, fulfilled; no exception. The confirmation is stored
    # before the request (out of order arrival).
    add("order_placed", "ecommerce", ts(1, 8), "O1", sku="SKU1", quantity=2, channel="web")
    add(
        "reservation_confirmed",
        "erp",
        ts(1, 8, 0, 30),
        "O1",
        location_id="S001",
        sku="SKU1",
        quantity=2,
    )
    add("reservation_requested", "oms", ts(1, 8), "O1", location_id="S001", sku="SKU1", quantity=2)
    o1 = add("order_fulfilled", "wms", ts(1, 10), "O1", location_id="S001", sku="SKU1", quantity=2)
    post(o1, ts(1, 11))  # 1 h
    # O2 marketplace: fails at S002, then confirmed at S001 (latency 40 s); exception.
    add(
        "order_placed", "marketplace", ts(1, 9), "O2", sku="SKU1", quantity=1, channel="marketplace"
    )
    add(
        "reservation_requested",
        "oms",
        ts(1, 9, 0, 10),
        "O2",
        location_id="S002",
        sku="SKU1",
        quantity=1,
    )
    add(
        "reservation_failed",
        "erp",
        ts(1, 9, 0, 20),
        "O2",
        location_id="S002",
        sku="SKU1",
        quantity=1,
        reason_code="insufficient_stock",
    )
    add(
        "reservation_requested",
        "oms",
        ts(1, 9, 1),
        "O2",
        location_id="S001",
        sku="SKU1",
        quantity=1,
    )
    add(
        "reservation_confirmed",
        "erp",
        ts(1, 9, 1, 40),
        "O2",
        location_id="S001",
        sku="SKU1",
        quantity=1,
    )
    o2 = add("order_fulfilled", "wms", ts(1, 12), "O2", location_id="S001", sku="SKU1", quantity=1)
    post(o2, ts(1, 14))  # 2 h
    # O3 web: confirmed at S001 (10 s) then cancelled out_of_stock: an oversell.
    add("order_placed", "ecommerce", ts(1, 10), "O3", sku="SKU2", quantity=5, channel="web")
    add("reservation_requested", "oms", ts(1, 10), "O3", location_id="S001", sku="SKU2", quantity=5)
    add(
        "reservation_confirmed",
        "erp",
        ts(1, 10, 0, 10),
        "O3",
        location_id="S001",
        sku="SKU2",
        quantity=5,
    )
    add(
        "order_cancelled",
        "oms",
        ts(1, 14),
        "O3",
        sku="SKU2",
        quantity=5,
        reason_code="out_of_stock",
    )
    # O4 store (POS): placed and fulfilled in the same second at S002; no exception.
    add("order_placed", "pos", ts(1, 11), "O4", sku="SKU1", quantity=1, channel="store")
    o4 = add("order_fulfilled", "pos", ts(1, 11), "O4", location_id="S002", sku="SKU1", quantity=1)
    post(o4, ts(1, 12))  # 1 h
    # O5 web, two lines fulfilled from S001 and DC01: split fulfilment; latencies 60/120 s.
    for sku, loc, confirm in [("SKU1", "S001", ts(1, 12, 1)), ("SKU2", "DC01", ts(1, 12, 2))]:
        add("order_placed", "ecommerce", ts(1, 12), "O5", sku=sku, quantity=1, channel="web")
        add("reservation_requested", "oms", ts(1, 12), "O5", location_id=loc, sku=sku, quantity=1)
        add("reservation_confirmed", "erp", confirm, "O5", location_id=loc, sku=sku, quantity=1)
    o5a = add("order_fulfilled", "wms", ts(1, 13), "O5", location_id="S001", sku="SKU1", quantity=1)
    post(o5a, ts(1, 16))  # 3 h
    # never posted: unreconciled (wms, day 03-01)
    add("order_fulfilled", "wms", ts(1, 13), "O5", location_id="DC01", sku="SKU2", quantity=1)
    # O6 web: latency 300 s, fulfilled 49 h after placement: late.
    add("order_placed", "ecommerce", ts(1, 6), "O6", sku="SKU1", quantity=1, channel="web")
    add("reservation_requested", "oms", ts(1, 6), "O6", location_id="S001", sku="SKU1", quantity=1)
    add(
        "reservation_confirmed",
        "erp",
        ts(1, 6, 5),
        "O6",
        location_id="S001",
        sku="SKU1",
        quantity=1,
    )
    o6 = add("order_fulfilled", "wms", ts(3, 7), "O6", location_id="S001", sku="SKU1", quantity=1)
    post(o6, ts(3, 8))
    # O7 marketplace: placed 03-01 00:30 and nothing else: open 91.5 h at the horizon (exception,
    # stalled).
    add(
        "order_placed",
        "marketplace",
        ts(1, 0, 30),
        "O7",
        sku="SKU2",
        quantity=1,
        channel="marketplace",
    )
    # O8 web (03-02): reservation timeout at S002 and nothing else: an open failed
    # reservation; 59 h old at the horizon, so neither overdue nor stalled yet.
    add("order_placed", "ecommerce", ts(2, 9), "O8", sku="SKU1", quantity=1, channel="web")
    add("reservation_requested", "oms", ts(2, 9), "O8", location_id="S002", sku="SKU1", quantity=1)
    add(
        "reservation_failed",
        "oms",
        ts(2, 9, 0, 5),
        "O8",
        location_id="S002",
        sku="SKU1",
        quantity=1,
        reason_code="timeout",
    )
    # O9 web (03-02): cancelled by the customer: no exception.
    add("order_placed", "ecommerce", ts(2, 10), "O9", sku="SKU2", quantity=1, channel="web")
    add(
        "order_cancelled",
        "oms",
        ts(2, 11),
        "O9",
        sku="SKU2",
        quantity=1,
        reason_code="customer_request",
    )

    # --- transfers -------------------------------------------------------------------------
    # T1 DC01 -> S001: 10 shipped, 10 received 24 h later (accurate).
    add(
        "transfer_requested",
        "erp",
        ts(1, 8),
        "T1",
        location_id="DC01",
        to_location_id="S001",
        sku="SKU1",
        quantity=10,
    )
    add("transfer_approved", "erp", ts(1, 9), "T1")
    t1s = add(
        "transfer_shipped", "wms", ts(1, 12), "T1", location_id="DC01", sku="SKU1", quantity=10
    )
    post(t1s, ts(1, 13))  # 1 h
    t1r = add(
        "transfer_received", "wms", ts(2, 12), "T1", location_id="S001", sku="SKU1", quantity=10
    )
    post(t1r, ts(2, 12, 30))
    # T2 DC01 -> S002: 6 shipped, 4 received 12 h later (short).
    add(
        "transfer_requested",
        "erp",
        ts(1, 8),
        "T2",
        location_id="DC01",
        to_location_id="S002",
        sku="SKU1",
        quantity=6,
    )
    add("transfer_approved", "erp", ts(1, 9), "T2")
    t2s = add(
        "transfer_shipped", "wms", ts(1, 14), "T2", location_id="DC01", sku="SKU1", quantity=6
    )
    post(t2s, ts(1, 15))  # 1 h
    t2r = add(
        "transfer_received", "pos", ts(2, 2), "T2", location_id="S002", sku="SKU1", quantity=4
    )
    post(t2r, ts(2, 6))
    # T3 DC01 -> S002: shipped 03-02 10:00, still in transit.
    add(
        "transfer_requested",
        "erp",
        ts(2, 8),
        "T3",
        location_id="DC01",
        to_location_id="S002",
        sku="SKU2",
        quantity=3,
    )
    t3s = add(
        "transfer_shipped", "wms", ts(2, 10), "T3", location_id="DC01", sku="SKU2", quantity=3
    )
    post(t3s, ts(2, 11))

    # --- returns ---------------------------------------------------------------------------
    # R1: received S001 15:00, inspected restock 18:00 (3 h), restocked, refunded.
    add(
        "return_initiated",
        "customer_service",
        ts(1, 9),
        "R1",
        sku="SKU1",
        quantity=1,
        channel="web",
    )
    add("return_received", "wms", ts(1, 15), "R1", location_id="S001", sku="SKU1", quantity=1)
    add(
        "return_inspected",
        "wms",
        ts(1, 18),
        "R1",
        location_id="S001",
        sku="SKU1",
        quantity=1,
        reason_code="restock",
    )
    r1 = add("return_restocked", "wms", ts(1, 19), "R1", location_id="S001", sku="SKU1", quantity=1)
    post(r1, ts(1, 20))  # 1 h
    add("refund_issued", "erp", ts(1, 20), "R1")
    # R2: received S002 11:00, inspected scrap 24 h later: closed without restock.
    add("return_initiated", "pos", ts(1, 10), "R2", sku="SKU2", quantity=1, channel="store")
    add("return_received", "pos", ts(1, 11), "R2", location_id="S002", sku="SKU2", quantity=1)
    add(
        "return_inspected",
        "wms",
        ts(2, 11),
        "R2",
        location_id="S002",
        sku="SKU2",
        quantity=1,
        reason_code="scrap",
    )
    # R3: received S002 03-01 13:00, never inspected: stalled (79 h at the horizon).
    add("return_initiated", "ecommerce", ts(1, 12), "R3", sku="SKU1", quantity=2, channel="web")
    add("return_received", "pos", ts(1, 13), "R3", location_id="S002", sku="SKU1", quantity=2)

    # --- purchase orders ------------------------------------------------------------------
    # P1: expected 03-03 12:00, revised to 18:00, received 15:00: on time (latest revision).
    add(
        "po_created",
        "erp",
        ts(1, 7),
        "P1",
        location_id="S001",
        sku="SKU2",
        quantity=20,
        attributes={"expected_at": "2026-03-03T12:00:00Z"},
    )
    add(
        "po_acknowledged",
        "supplier_portal",
        ts(1, 10),
        "P1",
        attributes={"expected_at": "2026-03-03T20:00:00+02:00"},
    )
    p1 = add("po_received", "wms", ts(3, 15), "P1", location_id="S001", sku="SKU2", quantity=20)
    post(p1, ts(3, 16))
    # P2: expected 03-02 08:00, revised earlier to 06:00, received 10:00: late.
    add(
        "po_created",
        "erp",
        ts(1, 8),
        "P2",
        location_id="DC01",
        sku="SKU1",
        quantity=50,
        attributes={"expected_at": "2026-03-02T08:00:00Z"},
    )
    add(
        "po_acknowledged",
        "supplier_portal",
        ts(1, 9),
        "P2",
        attributes={"expected_at": "2026-03-02T06:00:00Z"},
    )
    p2 = add("po_received", "wms", ts(2, 10), "P2", location_id="DC01", sku="SKU1", quantity=50)
    post(p2, ts(2, 12))

    # --- sales, adjustments, counts -------------------------------------------------------
    s1 = add(
        "sale",
        "pos",
        ts(1, 16),
        "tk1",
        location_id="S001",
        sku="SKU1",
        quantity=1,
        channel="store",
        lag=timedelta(minutes=30),
    )
    post(s1, ts(1, 17))  # 1 h
    s2 = add(
        "sale",
        "pos",
        ts(1, 17),
        "tk2",
        location_id="S001",
        sku="SKU2",
        quantity=3,
        channel="store",
        lag=timedelta(minutes=30),
    )
    post(s2, ts(1, 18))  # 1 h
    # not posted: unreconciled (pos, 03-02); S002/SKU2 has no snapshot and goes negative
    add(
        "sale", "pos", ts(2, 12), "tk3", location_id="S002", sku="SKU2", quantity=1, channel="store"
    )
    s4 = add(
        "sale", "pos", ts(3, 8), "tk4", location_id="S002", sku="SKU1", quantity=1, channel="store"
    )
    post(s4, ts(3, 9))
    # exactly 24 h before the horizon and not posted: unreconciled (pos, 03-03)
    add(
        "sale", "pos", ts(3, 20), "tk5", location_id="S002", sku="SKU1", quantity=1, channel="store"
    )
    # 10 h before the horizon and not posted: not unreconciled yet
    add(
        "sale", "pos", ts(4, 10), "tk6", location_id="S001", sku="SKU2", quantity=1, channel="store"
    )
    # a snapshot resets S002/SKU1 on 03-03 at 12:00 (the 08:00 sale is already in it)
    add(
        "stock_snapshot",
        "erp",
        ts(3, 12),
        "snap-S002-SKU1-2",
        location_id="S002",
        sku="SKU1",
        quantity=3,
    )
    add(
        "cycle_count_completed",
        "pos",
        ts(2, 18),
        "C1",
        location_id="S001",
        sku="SKU1",
        quantity=5,
        attributes={"system_quantity": 5},
    )
    add(
        "cycle_count_completed",
        "pos",
        ts(2, 19),
        "C2",
        location_id="S002",
        sku="SKU1",
        quantity=1,
        attributes={"system_quantity": 2},
    )
    a1 = add(
        "inventory_adjusted",
        "erp",
        ts(2, 20),
        "A1",
        location_id="S002",
        sku="SKU1",
        quantity=-1,
        reason_code="correction",
    )
    post(a1, ts(2, 20, 30))
    add(
        "cycle_count_completed",
        "wms",
        ts(3, 9),
        "C3",
        location_id="S001",
        sku="SKU2",
        quantity=0,
        attributes={"system_quantity": 0},
    )
    a2 = add(
        "inventory_adjusted",
        "pos",
        ts(3, 9),
        "A2",
        location_id="S002",
        sku="SKU2",
        quantity=-2,
        reason_code="shrink",
    )
    post(a2, ts(3, 10))

    # --- integrations ---------------------------------------------------------------------
    # pos_feed 03-01: a 404 is not a failure (only 0 and >= 500 are).
    log.api("pos_feed", ts(1, 9), 200)
    log.api("pos_feed", ts(1, 9, 5), 404)
    # oms_erp 03-02: 5 failures 10:01..10:05, success 10:07 (recovery 6 min), then a run of 2.
    statuses = [
        (0, 200),
        (1, 500),
        (2, 0),
        (4, 500),
        (5, 502),
        (7, 200),
        (10, 500),
        (11, 503),
        (12, 200),
    ]
    for minute, status in statuses:
        log.api("oms_erp", ts(2, 10, minute), status)
    log.api("oms_erp", ts(2, 10, 3), 503)  # arrives last, belongs inside the run
    # oms_erp 03-04: a disruption at the very end of the data, no recovery yet.
    for minute in (56, 57, 58, 59):
        log.api("oms_erp", ts(4, 19, minute), 500)
    log.api("oms_erp", ts(4, 20), 0)  # integration_gateway's last event
    close_feeds(log, 4)
    return log.rows


def day5_events() -> list[dict]:
    """2026-03-05, ingested later, with one late event for 2026-03-02."""
    log = EventLog(ingested_at=ts(5, 21), prefix="f")
    # late: found +2 at S001/SKU1 on 03-02 15:00 (the ledger must reprocess from 03-02)
    a3 = log.add(
        "inventory_adjusted",
        "pos",
        ts(2, 15),
        "A3",
        location_id="S001",
        sku="SKU1",
        quantity=2,
        reason_code="found",
    )
    log.post(a3, ts(5, 8))
    s7 = log.add(
        "sale", "pos", ts(5, 9), "tk7", location_id="S001", sku="SKU1", quantity=1, channel="store"
    )
    log.post(s7, ts(5, 10))
    log.post("e999", ts(5, 11))  # posts nothing we know: ignored
    log.add(
        "stock_snapshot",
        "erp",
        ts(5, 6),
        "snap-S002-SKU2",
        location_id="S002",
        sku="SKU2",
        quantity=5,
    )
    log.add("order_placed", "ecommerce", ts(5, 12), "O10", sku="SKU2", quantity=1, channel="web")
    log.add(
        "reservation_requested", "oms", ts(5, 12), "O10", location_id="DC01", sku="SKU2", quantity=1
    )
    log.add(
        "reservation_confirmed",
        "erp",
        ts(5, 12, 0, 45),
        "O10",
        location_id="DC01",
        sku="SKU2",
        quantity=1,
    )
    log.api("oms_erp", ts(5, 8), 200)  # recovers the 03-04 disruption
    log.api("oms_erp", ts(5, 20), 200)
    close_feeds(log, 5)
    return log.rows


# One non-stock event type per regular feed, for the steady volume of regular_feed_events.
FEED_EVENTS = {
    "pos": ("order_placed", {"sku": "SKU1", "quantity": 1, "channel": "store"}),
    "ecommerce": ("order_placed", {"sku": "SKU1", "quantity": 1, "channel": "web"}),
    "marketplace": ("order_placed", {"sku": "SKU2", "quantity": 1, "channel": "marketplace"}),
    "oms": ("reservation_requested", {"location_id": "DC01", "sku": "SKU2", "quantity": 1}),
    "wms": ("return_received", {"location_id": "DC01", "sku": "SKU2", "quantity": 1}),
    "erp": ("refund_issued", {}),
}


def regular_feed_events(last_hour: dict[str, int] | None = None) -> list[dict]:
    """Two days (2026-03-01, 03-02) in which every regular feed delivers one event every two
    hours, 00:00 .. 22:00 (12 a day), except that on 03-02 marketplace stops at 18:00 (or
    each feed at its `last_hour`): the horizon is 03-02 18:00, set by marketplace; the data
    starts 03-01. Stock events, for a ledger computed by hand:

    - ERP snapshots on 03-01 00:00: S001/SKU1 = 10, S002/SKU1 = 5;
    - a pos sale of 2 at S001/SKU1 on 03-02 12:00;
    - a pos adjustment of -1 at S002/SKU2 dated 2000-01-01 (far past: booked on 03-01);
    - a wms receipt of 5 at DC01/SKU1 dated 9999-12-31 (far future: no day of its own).

    Ledger: S001/SKU1 10, 8; S002/SKU1 5, 5; S002/SKU2 -1, -1 on 03-01, 03-02: six rows. The
    two stray dates are one event each on a day of their own, far below the feeds' typical day
    (12 events), so they move no watermark."""
    last_hour = {"marketplace": 18, **(last_hour or {})}
    log = EventLog(ingested_at=ts(3, 1), prefix="r")
    for day in (1, 2):
        for hour in range(0, 24, 2):
            for source, (event_type, fields) in FEED_EVENTS.items():
                if day == 2 and hour > last_hour.get(source, 22):
                    continue
                log.add(event_type, source, ts(day, hour), f"{source}-{day}-{hour}", **fields)
            if day < 2 or hour <= last_hour.get("integration_gateway", 22):
                log.api("pos_feed", ts(day, hour), 200)
    for location, quantity in (("S001", 10), ("S002", 5)):
        log.add(
            "stock_snapshot",
            "erp",
            ts(1),
            f"snap-{location}",
            location_id=location,
            sku="SKU1",
            quantity=quantity,
        )
    log.add("sale", "pos", ts(2, 12), "tk-r1", location_id="S001", sku="SKU1", quantity=2)
    log.add(
        "inventory_adjusted",
        "pos",
        datetime(2000, 1, 1),
        "A-past",
        location_id="S002",
        sku="SKU2",
        quantity=-1,
        reason_code="correction",
    )
    log.add(
        "po_received",
        "wms",
        datetime(9999, 12, 31, 23, 59, 59),
        "P-future",
        location_id="DC01",
        sku="SKU1",
        quantity=5,
        lag=timedelta(0),
    )
    return log.rows


def cycle_count_answers() -> list[dict]:
    """Cycle-count answers landed after the feeds of regular_feed_events, the way the
    simulator's respond_to_outbox writes them: pos and wms counts dated 2026-03-04 09:00
    (two days after the horizon), the ERP's correction of the one mismatch and its posting."""
    log = EventLog(ingested_at=ts(4, 10), prefix="answer")
    for source, location, minute, counted, book in (
        ("pos", "S001", 0, 7, 8),
        ("pos", "S002", 5, 5, 5),
        ("wms", "DC01", 10, 0, 0),
    ):
        log.add(
            "cycle_count_completed",
            source,
            ts(4, 9, minute),
            f"CC-{location}",
            location_id=location,
            sku="SKU1",
            quantity=counted,
            attributes={"system_quantity": book},
        )
    correction = log.add(
        "inventory_adjusted",
        "erp",
        ts(4, 9, 30),
        "A-count",
        location_id="S001",
        sku="SKU1",
        quantity=-1,
        reason_code="correction",
    )
    log.post(correction, ts(4, 9, 31))
    return log.rows


def create_raw_warehouse(path: Path, events: Iterable[dict]) -> Path:
    """A DuckDB file with the raw schema, the reference data and the given events."""
    with duckdb.connect(str(path)) as con:
        ensure_schema(con)  # the raw tables exactly as ingestion creates them
        con.executemany("insert into raw.locations values (?, ?, ?, ?)", LOCATIONS)
        con.executemany("insert into raw.skus values (?, ?, ?, ?, ?)", SKUS)
    append_events(path, events)
    return path


def append_events(path: Path, events: Iterable[dict]) -> None:
    rows = [tuple(event[column] for column in EVENT_COLUMNS) for event in events]
    placeholders = ", ".join("?" for _ in EVENT_COLUMNS)
    with duckdb.connect(str(path)) as con:
        con.executemany(f"insert into raw.inventory_events values ({placeholders})", rows)


@dataclass
class DbtRun:
    """dbt CLI calls against one warehouse, with target/log paths private to `work_dir`."""

    warehouse: Path
    work_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "OMNISTOCK_WAREHOUSE": str(self.warehouse),
            "DBT_TARGET_PATH": str(self.work_dir / "target"),
            "DBT_LOG_PATH": str(self.work_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "OMNISTOCK_ENGINE": "duckdb",  # the tests read DuckDB; extra_env may say spark
            **self.extra_env,
        }

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command: Sequence[str] = [
            str(DBT_EXECUTABLE),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ]
        result = subprocess.run(
            command, env=self.env(), capture_output=True, text=True, cwd=self.work_dir, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
            )
        return result


def query(path: Path, sql: str, params: Sequence | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


_BUILDS: dict[str, tuple[Path, Path]] = {}


def built_base_warehouse(tmp_path_factory) -> tuple[Path, Path]:
    """(warehouse, work_dir) with days 1..4 built by a full `dbt build` (models, data tests
    and unit tests). Built once per test process and shared by the test_dbt* modules; treat
    the warehouse as read-only (copy it to change it)."""
    if "base" not in _BUILDS:
        work_dir = tmp_path_factory.mktemp("dbt_base")
        warehouse = create_raw_warehouse(work_dir / "warehouse.duckdb", base_events())
        DbtRun(warehouse, work_dir)("build")
        _BUILDS["base"] = (warehouse, work_dir)
    return _BUILDS["base"]


def run_results(work_dir: Path) -> dict:
    return json.loads((work_dir / "target" / "run_results.json").read_text())
