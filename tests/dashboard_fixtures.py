"""A small hand-made warehouse with the marts the dashboards read, and its snapshot.

Ten days (2026-03-01 .. 2026-03-10), two stores and a DC in two regions, two channels. The
data horizon is 2026-03-09 22:00: day 10 is incomplete (is_complete false), so the default
window (dbt's current standard period, kpi_period) is 03-03 .. 03-09 and 03-10 counts in no
KPI. The rows are written out so tests can assert exact numbers:

- web oversells 3 lines (days 5, 6, 6), marketplace 1 (day 8); SKU1 surges on days 5-6
  (a promotion: 6 units/day against a median of 1), so 3 oversells fall on surge SKU-days.
- transfers DC01 -> S001: 3 lines in full; DC01 -> S002: 2 of 4 lines short.
- returns at S002 stall (two stalled cases), S001 returns are inspected within hours.
- oms_erp has two disruptions: one recovered after 30 min, one still open at the end.
- location_risk ranks S002 first; cycle_count_requests has one counted and one open request.
- The risk and cycle-count tables have the shape their jobs write (intelligence.location_risk,
  actions.cycle_count_requests + actions.cycle_count_request_lines).

Column names and types follow dbt_project/models/marts/*.yml; the KPI tables (kpi_daily,
kpi_observations, kpi_period) take theirs from those contracts and kpi_catalog is the dbt
seed itself (dbt_project/seeds/kpi_catalog.csv), so the fixture cannot drift from them.
Percentile KPIs are recomputed from kpi_observations: kpi_daily holds no percentile rows of
the observed families (the feed lag, read per day on /integrations, keeps its rows).
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import duckdb
import yaml

from dashboards.snapshot import publish_snapshot

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
DAYS = [date(2026, 3, d) for d in range(1, 11)]
AS_OF = datetime(2026, 3, 10, 23, 0)
HORIZON_AT = datetime(2026, 3, 9, 22, 0)  # day 10 is after the horizon: incomplete
HORIZON = HORIZON_AT.date()


def contract_columns(model: str) -> dict[str, str]:
    """{column: data type} of a mart's enforced contract (dbt_project/models/marts)."""
    spec = yaml.safe_load((DBT_PROJECT / "models" / "marts" / f"{model}.yml").read_text())
    [declared] = [m for m in spec["models"] if m["name"] == model]
    return {column["name"]: column["data_type"] for column in declared["columns"]}


def seed_columns(seed: str) -> dict[str, str]:
    """{column: type} of a dbt seed (its column_types)."""
    spec = yaml.safe_load((DBT_PROJECT / "seeds" / f"{seed}.yml").read_text())
    [declared] = [s for s in spec["seeds"] if s["name"] == seed]
    return dict(declared["config"]["column_types"])


def day(d: int) -> date:
    return date(2026, 3, d)


def at(d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, d, hour, minute)


TABLES: dict[str, dict[str, str]] = {
    "marts.dim_locations": {
        "location_id": "varchar",
        "location_type": "varchar",
        "region": "varchar",
        "location_name": "varchar",
    },
    "marts.kpi_catalog": seed_columns("kpi_catalog"),
    "marts.kpi_daily": contract_columns("kpi_daily"),
    "marts.kpi_observations": contract_columns("kpi_observations"),
    "marts.kpi_period": contract_columns("kpi_period"),
    # intermediate.int_data_horizon declares no types (no contract); its five columns
    "intermediate.int_data_horizon": {
        "horizon_at": "timestamp",
        "horizon_date": "date",
        "data_start_date": "date",
        "horizon_source": "varchar",
        "feeds": "bigint",
    },
    "marts.fct_order_lines": {
        "order_id": "varchar",
        "sku": "varchar",
        "channel": "varchar",
        "placed_at": "timestamp",
        "order_date": "date",
        "ordered_quantity": "bigint",
        "fulfilment_location_id": "varchar",
        "oversell_location_id": "varchar",
        "is_oversold": "boolean",
        "order_has_exception": "boolean",
        "line_status": "varchar",
    },
    "marts.fct_reservations": {
        "order_id": "varchar",
        "sku": "varchar",
        "location_id": "varchar",
        "channel": "varchar",
        "reservation_date": "date",
        "first_requested_at": "timestamp",
        "outcome": "varchar",
        "latency_s": "double",
    },
    "marts.fct_transfers": {
        "transfer_id": "varchar",
        "sku": "varchar",
        "origin_location_id": "varchar",
        "destination_location_id": "varchar",
        "requested_at": "timestamp",
        "shipped_at": "timestamp",
        "shipment_date": "date",
        "received_at": "timestamp",
        "shipped_quantity": "bigint",
        "received_quantity": "bigint",
        "receipt_variance_quantity": "bigint",
        "is_received_in_full": "boolean",
        "is_received_short": "boolean",
        "cycle_time_h": "double",
        "transfer_status": "varchar",
    },
    "marts.fct_returns": {
        "return_id": "varchar",
        "sku": "varchar",
        "channel": "varchar",
        "location_id": "varchar",
        "received_at": "timestamp",
        "receipt_date": "date",
        "inspected_at": "timestamp",
        "disposition": "varchar",
        "disposition_time_h": "double",
        "is_closed": "boolean",
        "return_status": "varchar",
    },
    "marts.fct_integration_disruptions": {
        "disruption_id": "varchar",
        "integration": "varchar",
        "started_at": "timestamp",
        "disruption_date": "date",
        "last_failed_at": "timestamp",
        "failed_calls": "bigint",
        "recovered_at": "timestamp",
        "is_recovered": "boolean",
        "recovery_time_min": "double",
    },
    "marts.fct_cycle_counts": {
        "event_id": "varchar",
        "count_id": "varchar",
        "location_id": "varchar",
        "sku": "varchar",
        "counted_at": "timestamp",
        "count_date": "date",
        "counted_quantity": "bigint",
        "system_quantity": "bigint",
        "variance_quantity": "bigint",
        "is_accurate": "boolean",
        "unit_cost": "double",
        "variance_value_at_cost": "double",
    },
    "marts.process_transitions": {
        "workflow": "varchar",
        "from_activity": "varchar",
        "to_activity": "varchar",
        "transition_count": "bigint",
        "case_count": "bigint",
        "mean_duration_s": "double",
        "p50_duration_s": "double",
        "p95_duration_s": "double",
    },
    "marts.stalled_cases": {
        "workflow": "varchar",
        "case_key": "varchar",
        "case_id": "varchar",
        "sku": "varchar",
        "location_id": "varchar",
        "stage": "varchar",
        "last_event_at": "timestamp",
        "age_h": "double",
        "sla_hours": "double",
        "hours_over_sla": "double",
        "units": "bigint",
        "value_at_cost": "double",
        "as_of": "timestamp",
    },
    "marts.exception_queue": {
        "exception_id": "varchar",
        "exception_type": "varchar",
        "workflow": "varchar",
        "reference_id": "varchar",
        "location_id": "varchar",
        "sku": "varchar",
        "opened_at": "timestamp",
        "age_h": "double",
        "units": "bigint",
        "value_at_cost": "double",
        "detail": "varchar",
        "impact_rank": "bigint",
        "as_of": "timestamp",
        "event_type": "varchar",
    },
    # As the risk and cycle-count jobs write them (intelligence.*, actions.*): no region on
    # the risk rows, the SKU list in a lines table, the results on the request.
    "intelligence.location_risk": {
        "location_id": "varchar",
        "location_type": "varchar",
        "as_of": "timestamp",
        "risk_score": "double",
        "risk_rank": "bigint",
        "combined_score": "double",
        "top_features": "varchar[]",
        "reason": "varchar",
        "count_discrepancy_rate": "double",
        "shrink_units_per_throughput": "double",
        "stalled_return_rate": "double",
        "counts": "bigint",
    },
    "intelligence.location_category_risk": {
        "location_id": "varchar",
        "category": "varchar",
        "location_type": "varchar",
        "as_of": "timestamp",
        "risk_score": "double",
        "risk_rank": "bigint",
        "reason": "varchar",
    },
    "actions.cycle_count_requests": {
        "request_id": "varchar",
        "location_id": "varchar",
        "requested_at": "timestamp",
        "risk_score": "double",
        "risk_rank": "bigint",
        "reason": "varchar",
        "sku_count": "bigint",
        "expected_discrepancy_value": "double",
        "status": "varchar",
        "counted_at": "timestamp",
        "skus_counted": "bigint",
        "skus_inaccurate": "bigint",
        "units_corrected": "bigint",
        "value_corrected": "double",
        "outbox_file": "varchar",
    },
    "actions.cycle_count_request_lines": {
        "request_id": "varchar",
        "priority": "bigint",
        "location_id": "varchar",
        "sku": "varchar",
        "expected_discrepancy_value": "double",
    },
}
RISK_TABLES = (
    "intelligence.location_risk",
    "intelligence.location_category_risk",
    "actions.cycle_count_requests",
    "actions.cycle_count_request_lines",
)


def locations() -> list[tuple]:
    return [
        ("S001", "store", "north", "North store 1"),
        ("S002", "store", "south", "South store 2"),
        ("DC01", "dc", "north", "North DC"),
    ]


def kpi_catalog() -> list[dict]:
    """The dbt seed, row for row."""
    with (DBT_PROJECT / "seeds" / "kpi_catalog.csv").open(newline="") as seed:
        return [
            {k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(seed)
        ]


KPI_DAILY_COLUMNS = ("kpi_date", "kpi_name", "dimension", "dimension_value", "value")
KPI_DAILY_COLUMNS += ("numerator", "denominator")


def kpi_daily() -> list[dict]:
    """Overall rows of the headline ratios and counts, plus the cuts the pages read."""
    rows = []
    for i, d in enumerate(DAYS, start=1):
        rows += [
            (d, "order_exception_rate", "all", "all", 0.1 + i / 100, 10 + i, 100.0),
            (d, "order_exception_rate", "channel", "web", 0.2, 8.0, 40.0),
            (d, "order_exception_rate", "channel", "marketplace", 0.05, 3.0, 60.0),
            (d, "reservation_failure_rate", "all", "all", 0.05, 5.0, 100.0),
            (d, "reservation_failure_rate", "location_id", "S001", 0.02, 1.0, 50.0),
            (d, "reservation_failure_rate", "location_id", "S002", 0.08, 4.0, 50.0),
            (d, "reservation_failure_rate", "reason_code", "insufficient_stock", 0.03, 3.0, 100.0),
            (d, "reservation_failure_rate", "reason_code", "timeout", 0.02, 2.0, 100.0),
            (d, "oversell_incidents", "all", "all", float(i % 3), None, None),
            (d, "transfer_accuracy", "all", "all", 0.8, 8.0, 10.0),
            (d, "unreconciled_events", "all", "all", 2.0, None, None),
            (d, "unreconciled_events", "source_system", "pos", 2.0, None, None),
            (d, "inventory_record_accuracy", "all", "all", 0.9, 9.0, 10.0),
            (d, "stockout_rate", "all", "all", 0.02, 2.0, 100.0),
            (d, "negative_stock_positions", "all", "all", float(i), None, None),
            (d, "supplier_on_time_rate", "all", "all", 0.75, 3.0, 4.0),
            (d, "api_failure_rate", "all", "all", 0.01, 10.0, 1000.0),
            (
                d,
                "api_failure_rate",
                "integration",
                "oms_erp",
                0.3 if i in (4, 9) else 0.01,
                150.0 if i in (4, 9) else 5.0,
                500.0,
            ),
            (d, "api_failure_rate", "integration", "pos_feed", 0.0, 0.0, 500.0),
            (d, "source_delivery_lag_p95_min", "source_system", "pos", 30.0, None, 200.0),
            (d, "source_delivery_lag_p95_min", "source_system", "marketplace", 180.0, None, 50.0),
        ]
    return [
        {**dict(zip(KPI_DAILY_COLUMNS, row, strict=True)), "is_complete": row[0] <= HORIZON}
        for row in rows
    ]


def _observation(family: str, d: date, value: float, **dimensions) -> dict:
    return {
        "kpi_family": family,
        "kpi_date": d,
        "observation_value": value,
        "is_complete": d <= HORIZON,
        **dimensions,
    }


def kpi_observations() -> list[dict]:
    """The observations of the percentile KPIs: the latencies of `reservations()`, the
    cycle times of `transfers()` and the disposition times of `returns()`; and per day 50 ERP
    postings: 36 sales posted after 1 h and 4 after 4 h (pos), 10 transfer shipments after
    6 + day/2 h (wms). So a day's posting lag is p50 1 h, p95 6 + day/2 h (the top ten)."""
    rows = [
        _observation("reservation_latency", r[4], r[7], channel=r[3], location_id=r[2])
        for r in reservations()
    ]
    rows += [
        _observation("transfer_cycle_time", t[6], t[13], origin=t[2], destination=t[3])
        for t in transfers()
    ]
    rows += [
        _observation("returns_disposition_time", r[5], r[8], location_id=r[3])
        for r in returns()
        if r[8] is not None
    ]
    for i, d in enumerate(DAYS, start=1):
        for value, source, event_type, count in (
            (1.0, "pos", "sale", 36),
            (4.0, "pos", "sale", 4),
            (6 + i / 2, "wms", "transfer_shipped", 10),
        ):
            rows += [
                _observation(
                    "reconciliation_time", d, value, source_system=source, event_type=event_type
                )
            ] * count
    return rows


def kpi_period() -> list[dict]:
    """The standard periods dbt writes (current 03-03 .. 03-09, previous 02-24 .. 03-02),
    for two headline KPIs, worked out by hand: orders with an exception (10 + day of 100
    orders a day) 112 / 700 and 23 / 200; reservation latency p95 over days 3-9 (2, 3, 4,
    8, 20, 45, 120 s): 45 + 0.7 x 75 = 97.5 s, over days 1-2 (1, 2 s): 1.95 s."""
    current = {"period": "current", "period_start": day(3), "period_end": day(9)}
    previous = {"period": "previous", "period_start": date(2026, 2, 24), "period_end": day(2)}
    overall = {"dimension": "all", "dimension_value": "all"}
    rate, latency = "order_exception_rate", "reservation_latency_p95_s"
    return [
        {**current, **overall, "kpi_name": rate, "value": 0.16, "numerator": 112.0,
         "denominator": 700.0},
        {**previous, **overall, "kpi_name": rate, "value": 0.115, "numerator": 23.0,
         "denominator": 200.0},
        {**current, **overall, "kpi_name": latency, "value": 97.5, "denominator": 7.0},
        {**previous, **overall, "kpi_name": latency, "value": 1.95, "denominator": 2.0},
    ]  # fmt: skip


def data_horizon() -> list[dict]:
    return [
        {
            "horizon_at": HORIZON_AT,
            "horizon_date": HORIZON,
            "data_start_date": DAYS[0],
            "horizon_source": "pos",
            "feeds": 7,
        }
    ]


def order_lines() -> list[tuple]:
    """One line per order: SKU2 daily on web and marketplace; SKU1 once a day on web except
    six lines a day on the promotion days 5-6."""
    rows = []
    oversold = {("O-5-1-0",), ("O-6-1-0",), ("O-6-1-1",), ("O-8-2-m",)}
    for d in range(1, 11):
        lines = [(f"O-{d}-2-w", "SKU2", "web"), (f"O-{d}-2-m", "SKU2", "marketplace")]
        lines += [(f"O-{d}-1-{n}", "SKU1", "web") for n in range(6 if d in (5, 6) else 1)]
        for order_id, sku, channel in lines:
            if order_id == "O-8-2-m":
                sku = "SKU1"  # a marketplace oversell off-promotion
            is_oversold = (order_id,) in oversold
            rows.append(
                (
                    order_id,
                    sku,
                    channel,
                    at(d, 10),
                    day(d),
                    1,
                    "S001",
                    "S002" if is_oversold else None,
                    is_oversold,
                    is_oversold,
                    "cancelled" if is_oversold else "fulfilled",
                )
            )
    return rows


def reservations() -> list[tuple]:
    latencies = [1, 2, 2, 3, 4, 8, 20, 45, 120, 4000]
    return [
        (
            f"O-{i + 1}-2-w",
            "SKU2",
            "S001" if i % 2 else "S002",
            "web" if i < 6 else "marketplace",
            day(i + 1),
            at(i + 1, 10),
            "confirmed",
            float(latency),
        )
        for i, latency in enumerate(latencies)
    ]


def transfers() -> list[tuple]:
    rows = []
    for n in range(3):
        rows.append(
            (
                f"T-A{n}",
                "SKU1",
                "DC01",
                "S001",
                at(n + 1, 8),
                at(n + 1, 12),
                day(n + 1),
                at(n + 2, 12),
                10,
                10,
                0,
                True,
                False,
                24.0,
                "received",
            )
        )
    for n in range(4):
        short = n < 2
        rows.append(
            (
                f"T-B{n}",
                "SKU2",
                "DC01",
                "S002",
                at(n + 1, 8),
                at(n + 1, 12),
                day(n + 1),
                at(n + 3, 12),
                10,
                7 if short else 10,
                -3 if short else 0,
                not short,
                short,
                48.0,
                "received",
            )
        )
    return rows


def returns() -> list[tuple]:
    return [
        (
            "R1",
            "SKU1",
            "web",
            "S001",
            at(2, 9),
            day(2),
            at(2, 12),
            "restock",
            3.0,
            True,
            "restocked",
        ),
        ("R2", "SKU2", "web", "S001", at(3, 9), day(3), at(3, 15), "scrap", 6.0, True, "disposed"),
        (
            "R3",
            "SKU1",
            "marketplace",
            "S002",
            at(2, 9),
            day(2),
            at(5, 9),
            "restock",
            72.0,
            False,
            "awaiting_restock",
        ),
        (
            "R4",
            "SKU2",
            "web",
            "S002",
            at(4, 9),
            day(4),
            None,
            None,
            None,
            False,
            "awaiting_inspection",
        ),
    ]


def disruptions() -> list[tuple]:
    return [
        ("oms_erp:1", "oms_erp", at(4, 10), day(4), at(4, 10, 25), 40, at(4, 10, 30), True, 30.0),
        ("oms_erp:2", "oms_erp", at(9, 20), day(9), at(10, 22), 300, None, False, None),
    ]


def cycle_counts() -> list[tuple]:
    return [
        ("c1", "CNT1", "S002", "SKU1", at(9, 10), day(9), 3, 5, -2, False, 10.0, -20.0),
        ("c2", "CNT2", "S002", "SKU2", at(9, 11), day(9), 4, 4, 0, True, 4.0, 0.0),
        ("c3", "CNT3", "S001", "SKU1", at(2, 10), day(2), 5, 5, 0, True, 10.0, 0.0),
    ]


def transitions() -> list[tuple]:
    return [
        ("order", "order_placed", "reservation_requested", 40, 40, 60.0, 59.0, 120.0),
        ("order", "reservation_requested", "reservation_confirmed", 36, 36, 3.0, 2.0, 15.0),
        ("order", "reservation_requested", "reservation_failed", 4, 4, 50.0, 50.0, 55.0),
        ("order", "reservation_failed", "reservation_requested", 4, 4, 3000.0, 3000.0, 9000.0),
        ("order", "reservation_confirmed", "order_fulfilled", 32, 32, 50000.0, 49000.0, 90000.0),
        ("order", "reservation_confirmed", "order_cancelled", 4, 4, 20000.0, 19000.0, 40000.0),
        ("order", "order_placed", "order_cancelled", 2, 2, 600.0, 600.0, 700.0),
        ("order", "order_fulfilled", "order_fulfilled", 1, 1, 20000.0, 20000.0, 20000.0),
        ("return", "return_initiated", "return_received", 4, 4, 140000.0, 140000.0, 200000.0),
        ("return", "return_received", "return_inspected", 3, 3, 20000.0, 21600.0, 250000.0),
        ("return", "return_inspected", "return_restocked", 2, 2, 17000.0, 17000.0, 18000.0),
    ]


def stalled() -> list[tuple]:
    return [
        (
            "return",
            "R3|SKU1",
            "R3",
            "SKU1",
            "S002",
            "return_inspected",
            at(5, 9),
            134.0,
            72.0,
            62.0,
            1,
            10.0,
            AS_OF,
        ),
        (
            "return",
            "R4|SKU2",
            "R4",
            "SKU2",
            "S002",
            "return_received",
            at(4, 9),
            158.0,
            72.0,
            86.0,
            1,
            4.0,
            AS_OF,
        ),
        (
            "order",
            "O-1-2-w|SKU2",
            "O-1-2-w",
            "SKU2",
            "S001",
            "reservation_confirmed",
            at(1, 10),
            229.0,
            72.0,
            157.0,
            1,
            4.0,
            AS_OF,
        ),
    ]


def exceptions() -> list[tuple]:
    rows = [
        (
            "negative_stock",
            "stock",
            "S002|SKU1",
            "S002",
            "SKU1",
            at(8),
            63.0,
            5,
            50.0,
            "book quantity -5",
            None,
        ),
        (
            "oversell",
            "order",
            "O-8-2-m|SKU1",
            "S002",
            "SKU1",
            at(8, 12),
            59.0,
            1,
            10.0,
            "confirmed reservation cancelled out_of_stock",
            "order_cancelled",
        ),
        (
            "stalled_case",
            "return",
            "return:R3|SKU1",
            "S002",
            "SKU1",
            at(5, 9),
            134.0,
            1,
            10.0,
            "stalled at return_inspected",
            "return_inspected",
        ),
        (
            "unreconciled_event",
            "finance",
            "e-77",
            "S001",
            "SKU2",
            at(7, 8),
            87.0,
            2,
            8.0,
            "sale not posted to the ERP",
            "sale",
        ),
        (
            "unreconciled_event",
            "finance",
            "e-91",
            "DC01",
            "SKU1",
            at(9, 8),
            39.0,
            3,
            30.0,
            "transfer_shipped not posted to the ERP",
            "transfer_shipped",
        ),
        (
            "failed_reservation",
            "order",
            "O-10-2-w|SKU2|S001",
            "S001",
            "SKU2",
            at(10, 10),
            13.0,
            1,
            4.0,
            "reservation failed, line not sourced",
            "reservation_failed",
        ),
    ]
    ranked = sorted(rows, key=lambda r: (-r[8], -r[7]))
    return [
        (f"{r[0]}:{r[2]}", *r[:10], rank, AS_OF, r[10]) for rank, r in enumerate(ranked, start=1)
    ]


def location_risk() -> list[tuple]:
    """S002 and DC01 both saturate the calibrated score; the model's rank orders them."""
    return [
        (
            "S002",
            "store",
            AS_OF,
            1.0,
            1,
            0.9,
            ["count_discrepancy_rate", "stalled_return_rate"],
            "count discrepancies 4.0x peer median; stalled returns 0.5 vs peer median 0",
            0.5,
            0.02,
            0.5,
            2,
        ),
        (
            "DC01",
            "dc",
            AS_OF,
            1.0,
            2,
            0.7,
            [],
            "no feature stands out from its peers",
            0.1,
            0.01,
            0.0,
            1,
        ),
        (
            "S001",
            "store",
            AS_OF,
            0.2,
            3,
            0.1,
            [],
            "no feature stands out from its peers",
            0.0,
            0.0,
            0.0,
            1,
        ),
    ]


def location_category_risk() -> list[tuple]:
    return [
        ("S002", "apparel", "store", AS_OF, 0.99, 1, "count discrepancies 5.0x peer median"),
        ("S002", "home", "store", AS_OF, 0.4, 4, "no feature stands out from its peers"),
        ("S001", "apparel", "store", AS_OF, 0.6, 2, "no feature stands out from its peers"),
    ]


def cycle_count_requests() -> list[tuple]:
    """CC-1 at S002 came back (the job filled in its results); CC-2 at DC01 is open."""
    return [
        (
            "CC-1",
            "S002",
            at(9, 8),
            1.0,
            1,
            "count discrepancies 4.0x peer median",
            2,
            38.0,
            "counted",
            at(9, 11),
            2,
            1,
            2,
            20.0,
            "outbox/cycle_counts/CC-1.json",
        ),
        (
            "CC-2",
            "DC01",
            at(10, 8),
            1.0,
            2,
            "short shipments 2.0x peer median",
            1,
            12.0,
            "open",
            None,
            None,
            None,
            None,
            None,
            "outbox/cycle_counts/CC-2.json",
        ),
    ]


def cycle_count_request_lines() -> list[tuple]:
    return [
        ("CC-1", 2, "S002", "SKU2", 8.0),
        ("CC-1", 1, "S002", "SKU1", 30.0),
        ("CC-2", 1, "DC01", "SKU1", 12.0),
    ]


ROWS = {
    "marts.dim_locations": locations,
    "marts.kpi_catalog": kpi_catalog,
    "marts.kpi_daily": kpi_daily,
    "marts.kpi_observations": kpi_observations,
    "marts.kpi_period": kpi_period,
    "intermediate.int_data_horizon": data_horizon,
    "marts.fct_order_lines": order_lines,
    "marts.fct_reservations": reservations,
    "marts.fct_transfers": transfers,
    "marts.fct_returns": returns,
    "marts.fct_integration_disruptions": disruptions,
    "marts.fct_cycle_counts": cycle_counts,
    "marts.process_transitions": transitions,
    "marts.stalled_cases": stalled,
    "marts.exception_queue": exceptions,
    "intelligence.location_risk": location_risk,
    "intelligence.location_category_risk": location_category_risk,
    "actions.cycle_count_requests": cycle_count_requests,
    "actions.cycle_count_request_lines": cycle_count_request_lines,
}


def build_warehouse(path: Path, with_risk_tables: bool = True) -> Path:
    """A DuckDB file holding the hand-made marts (and the risk/cycle-count tables)."""
    with duckdb.connect(str(path)) as con:
        for relation, columns in TABLES.items():
            if relation in RISK_TABLES and not with_risk_tables:
                continue
            schema = relation.split(".")[0]
            con.execute(f"create schema if not exists {schema}")
            ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            con.execute(f"create table {relation} ({ddl})")
            rows = ROWS[relation]()
            if rows and isinstance(rows[0], dict):  # named rows: unnamed columns stay null
                rows = [tuple(row.get(name) for name in columns) for row in rows]
            placeholders = ", ".join("?" for _ in columns)
            con.executemany(f"insert into {relation} values ({placeholders})", rows)
    return path


def publish_fixture_snapshot(tmp_path: Path, with_risk_tables: bool = True) -> Path:
    """The fixture warehouse published as a snapshot; returns the snapshots folder."""
    warehouse = build_warehouse(tmp_path / "warehouse.duckdb", with_risk_tables)
    snapshots = tmp_path / "snapshots"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        publish_snapshot(con, snapshots)
    return snapshots


def find_component(component, element_id: str):
    """The component with this id in a rendered page (depth first)."""
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if getattr(node, "id", None) == element_id:
            return node
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    raise LookupError(element_id)
