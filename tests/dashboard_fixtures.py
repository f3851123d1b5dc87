"""A small hand-made warehouse with the marts the dashboards read, and its snapshot.

Ten days (2026-03-01 .. 2026-03-10), two stores and a DC in two regions, two channels. The
data horizon is 2026-03-09 22:00: day 10 is incomplete (is_complete false), so the default
window (dbt's current standard period, kpi_period) is 03-03 .. 03-09 and 03-10 counts in no
KPI. The rows are written out so tests can assert exact numbers:

- web oversells 3 lines (days 5, 6, 6), marketplace 1 (day 8); SKU1 surges on days 5-6
  (a promotion: 6 units/day against a median of 1), so 3 oversells fall on surge SKU-days.
- transfers DC01 -> S001: 3 lines in full; DC01 -> S002: 2 of 4 lines short.
- returns at S002 stall (two stalled cases), S001 returns are inspected within hours.
- case_events holds the timelines of the cases the lists link to: every day's marketplace
  line (O-<d>-2-m) fails at one store (insufficient stock) and is reserved at the other 5
  minutes later; the web oversells are confirmed at S002 and cancelled 6 h later; the
  stalled returns and orders of stalled_cases; two short DC01 -> S002 transfer lines.
- oms_erp has two disruptions: one recovered after 30 min, one still open at the end.
- location_risk ranks S002 first; cycle_count_requests has one counted and one open request.
- Supplier on-time receipts drop on the horizon's day (kpi_movements: moved); erp's feed is
  14 h behind the leading pos (int_source_watermarks, alert_conditions).
- The snapshot is the second of two: the run before (`previous_run`) had one exception more
  and one fewer, and fewer events from pos and wms.
- The risk and cycle-count tables are where their jobs write them (intelligence.location_risk,
  actions.cycle_count_requests + actions.cycle_count_request_lines); the snapshot records the
  deployed count threshold, 0.9.

Every table's columns and types come from its declaration, so the fixture cannot drift from
what the pipeline writes: the marts from their dbt contracts (dbt_project/models/marts/*.yml),
kpi_catalog is the dbt seed itself (dbt_project/seeds/kpi_catalog.csv), the risk and
cycle-count tables from omnistock/tables.py. Rows name their columns; a name the declaration
does not have is an error, and the risk and cycle-count rows go through `Table.conform`, as
their producers' do (every declared column, nothing else). Percentile KPIs are recomputed
from kpi_observations: kpi_daily holds no percentile rows of the observed families (the feed
lag, read per day on /integrations, keeps its rows).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import yaml

from dashboards.components import graph_id
from dashboards.datatable import table_id
from dashboards.snapshot import publish_snapshot
from omnistock.tables import (
    CYCLE_COUNT_REQUEST_LINES,
    CYCLE_COUNT_REQUESTS,
    LOCATION_CATEGORY_FEATURES,
    LOCATION_CATEGORY_RISK,
    LOCATION_FEATURES,
    LOCATION_RISK,
    Table,
)

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
DAYS = [date(2026, 3, d) for d in range(1, 11)]
AS_OF = datetime(2026, 3, 10, 23, 0)
HORIZON_AT = datetime(2026, 3, 9, 22, 0)  # day 10 is after the horizon: incomplete
HORIZON = HORIZON_AT.date()
RISK_THRESHOLD = 0.9  # the deployed cycle-count policy's, recorded by the publisher


def model_columns(folder: str, model: str) -> dict[str, str | None]:
    """{column: data type} a dbt model's yml declares (dbt_project/models/<folder>); the
    type is None where the model has no contract."""
    spec = yaml.safe_load((DBT_PROJECT / "models" / folder / f"{model}.yml").read_text())
    [declared] = [m for m in spec["models"] if m["name"] == model]
    return {column["name"]: column.get("data_type") for column in declared["columns"]}


def contract_columns(model: str) -> dict[str, str]:
    """{column: data type} of a mart's enforced contract (dbt_project/models/marts)."""
    return model_columns("marts", model)


def seed_columns(seed: str) -> dict[str, str]:
    """{column: type} of a dbt seed (its column_types)."""
    spec = yaml.safe_load((DBT_PROJECT / "seeds" / f"{seed}.yml").read_text())
    [declared] = [s for s in spec["seeds"] if s["name"] == seed]
    return dict(declared["config"]["column_types"])


def day(d: int) -> date:
    return date(2026, 3, d)


def at(d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 3, d, hour, minute)


def _uncontracted(folder: str, model: str, types: str) -> dict[str, str]:
    """The columns of a model without a contract, as its yml lists them: the types are the
    fixture's ("name type" pairs), the names are checked against the yml."""
    pairs = types.split()
    columns = dict(zip(pairs[::2], pairs[1::2], strict=True))
    assert list(model_columns(folder, model)) == list(columns), model
    return columns


HORIZON_COLUMNS = _uncontracted(
    "intermediate",
    "int_data_horizon",
    "horizon_at timestamp horizon_date date data_start_date date horizon_source varchar "
    "feeds bigint",
)


def _partly_documented(model: str, types: str) -> dict[str, str]:
    """The columns of an intermediate model whose yml documents only some of them: the names
    and types as its SQL selects them (the fixture's "name type" pairs); the documented ones
    are checked to be among them."""
    pairs = types.split()
    columns = dict(zip(pairs[::2], pairs[1::2], strict=True))
    assert set(model_columns("intermediate", model)) <= set(columns), model
    return columns


ERP_RECONCILIATION_COLUMNS = _partly_documented(
    "int_erp_reconciliation",
    "event_id varchar event_type varchar source_system varchar location_id varchar sku varchar "
    "stock_delta bigint occurred_at timestamp occurred_date date posting_event_id varchar "
    "posted_at timestamp postings bigint is_posted boolean reconciliation_time_h double "
    "age_h double is_judged boolean is_unreconciled boolean is_unposted_at_horizon boolean "
    "ingested_through timestamp",
)
API_CALL_COLUMNS = _partly_documented(
    "int_api_calls",
    "event_id varchar integration varchar source_system varchar occurred_at timestamp "
    "call_date date status_code bigint latency_ms double attempt bigint is_failed boolean "
    "call_seq bigint failure_run bigint next_call_at timestamp ingested_through timestamp",
)
WATERMARK_COLUMNS = _uncontracted(
    "intermediate",
    "int_source_watermarks",
    "source_system varchar is_regular_feed boolean watermark_at timestamp "
    "regular_from_at timestamp latest_occurred_at timestamp events bigint "
    "events_outside_regular_days bigint regular_days bigint typical_day_events double "
    "leader_watermark_at timestamp lag_behind_leader_h double max_lag_hours double "
    "is_lagging boolean",
)


MARTS = (
    "dim_locations",
    "kpi_daily",
    "kpi_observations",
    "kpi_period",
    "fct_order_lines",
    "fct_reservations",
    "fct_transfers",
    "fct_returns",
    "fct_integration_disruptions",
    "fct_cycle_counts",
    "fct_stock_positions",
    "process_transitions",
    "stalled_cases",
    "exception_queue",
    "kpi_movements",
    "alert_conditions",
    "case_events",
)
# The tables risk scoring and the cycle-count job write, as omnistock/tables.py declares them.
DECLARED: dict[str, Table] = {
    table.qualified_name: table
    for table in (
        LOCATION_RISK,
        LOCATION_CATEGORY_RISK,
        CYCLE_COUNT_REQUESTS,
        CYCLE_COUNT_REQUEST_LINES,
    )
}
# relation -> {column: DuckDB type}, in table order.
TABLES: dict[str, dict[str, str]] = {
    "marts.kpi_catalog": seed_columns("kpi_catalog"),
    **{f"marts.{mart}": contract_columns(mart) for mart in MARTS},
    "intermediate.int_data_horizon": HORIZON_COLUMNS,
    "intermediate.int_source_watermarks": WATERMARK_COLUMNS,
    "intermediate.int_erp_reconciliation": ERP_RECONCILIATION_COLUMNS,
    "intermediate.int_api_calls": API_CALL_COLUMNS,
    **{
        relation: {column: kind.lower() for column, kind in table.columns.items()}
        for relation, table in DECLARED.items()
    },
}


def named(fields: str, rows: list[tuple]) -> list[dict]:
    """Positional rows as {column: value}, the columns named once in `fields`."""
    names = fields.split()
    return [dict(zip(names, row, strict=True)) for row in rows]


def locations() -> list[dict]:
    return named(
        "location_id location_type region location_name",
        [
            ("S001", "store", "north", "North store 1"),
            ("S002", "store", "south", "South store 2"),
            ("DC01", "dc", "north", "North DC"),
        ],
    )


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
        on_time = 2.0 if i == 9 else 3.0  # of 4 POs; the horizon's day drops (kpi_movements)
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
            (d, "supplier_on_time_rate", "all", "all", on_time / 4, on_time, 4.0),
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
    cycle times of `transfers()`, the disposition times of `returns()` and the posting lags
    of `erp_reconciliation()`."""
    rows = [
        _observation(
            "reservation_latency",
            r["reservation_date"],
            r["latency_s"],
            channel=r["channel"],
            location_id=r["location_id"],
        )
        for r in reservations()
    ]
    rows += [
        _observation(
            "transfer_cycle_time",
            t["shipment_date"],
            t["cycle_time_h"],
            origin=t["origin_location_id"],
            destination=t["destination_location_id"],
        )
        for t in transfers()
    ]
    rows += [
        _observation(
            "returns_disposition_time",
            r["receipt_date"],
            r["disposition_time_h"],
            location_id=r["location_id"],
        )
        for r in returns()
        if r["disposition_time_h"] is not None
    ]
    rows += [
        _observation(
            "reconciliation_time",
            m["occurred_date"],
            m["reconciliation_time_h"],
            source_system=m["source_system"],
            event_type=m["event_type"],
        )
        for m in erp_reconciliation()
        if m["reconciliation_time_h"] is not None
    ]
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


def kpi_movements() -> list[dict]:
    """What dbt's kpi_movements writes for four KPIs of `kpi_daily()`: each judged on its
    latest settled day against the complete days before it. Supplier on-time receipts, 0.75
    every day, drop to 0.5 (2 of 4) on the horizon's day 03-09: a constant baseline left,
    moved, worse. Negative stock positions 1 .. 8 (mean 4.5, sd sqrt 6) reach 9: 1.84 sd, not
    moved. Oversells 1, 2, 0, ... (mean 1.125, sd 0.83) fall to 0: 1.35 sd, not moved. Orders
    with an exception settle 3 days: 03-06 (0.16) against 03-01 .. 03-05, five days, too few
    to judge."""
    sd = 6**0.5
    return named(
        "kpi_name label unit kpi_date settle_days value previous_day_value baseline_days "
        "baseline_mean baseline_stddev deviation z_score sigmas is_moved direction",
        [
            ("supplier_on_time_rate", "Supplier on-time receipts", "ratio", day(9), 0, 0.5,
             0.75, 8, 0.75, 0.0, -0.25, None, 3.0, True, "worse"),
            ("negative_stock_positions", "Negative stock positions", "count", day(9), 0, 9.0,
             8.0, 8, 4.5, sd, 4.5, 4.5 / sd, 3.0, False, "worse"),
            ("oversell_incidents", "Oversells", "count", day(9), 0, 0.0, 2.0, 8,
             1.125, (4.875 / 7) ** 0.5, -1.125, -1.125 / (4.875 / 7) ** 0.5, 3.0, False,
             "better"),
            ("order_exception_rate", "Orders with an exception", "ratio", day(6), 3, 0.16,
             0.15, 5, 0.13, 0.01 * 2.5**0.5, 0.03, 0.03 / (0.01 * 2.5**0.5), 3.0, None,
             "worse"),
        ],
    )  # fmt: skip


def source_watermarks() -> list[dict]:
    """pos leads (its watermark is the horizon); wms is 2 h behind, erp 14 h (beyond the 12 h
    the freshness rule allows: lagging); the supplier portal is no regular feed."""
    leader = HORIZON_AT
    return named(
        "source_system is_regular_feed watermark_at regular_from_at latest_occurred_at events "
        "events_outside_regular_days regular_days typical_day_events leader_watermark_at "
        "lag_behind_leader_h max_lag_hours is_lagging",
        [
            ("pos", True, leader, at(1), at(10, 23), 5000, 3, 9, 550.0, leader, 0.0, 12.0, False),
            ("wms", True, at(9, 20), at(1), at(9, 20), 3000, 0, 9, 330.0, leader, 2.0, 12.0,
             False),
            ("erp", True, at(9, 8), at(1), at(9, 8), 1200, 0, 9, 130.0, leader, 14.0, 12.0, True),
            ("supplier_portal", False, at(8, 12), at(1), at(8, 12), 40, 0, 8, 5.0, leader, 34.0,
             12.0, False),
        ],
    )  # fmt: skip


def alert_conditions() -> list[dict]:
    """The erp feed lags 14 h, beyond the 12 h allowed."""
    return named(
        "rule subject severity label unit value threshold horizon_at",
        [("stale_source", "erp", "warning", "erp", "h", 14.0, 12.0, HORIZON_AT)],
    )


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


def order_lines() -> list[dict]:
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
    return named(
        "order_id sku channel placed_at order_date ordered_quantity fulfilment_location_id "
        "oversell_location_id is_oversold order_has_exception line_status",
        rows,
    )


def reservations() -> list[dict]:
    latencies = [1, 2, 2, 3, 4, 8, 20, 45, 120, 4000]
    return named(
        "order_id sku location_id channel reservation_date first_requested_at outcome latency_s",
        [
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
        ],
    )


def transfers() -> list[dict]:
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
    return named(
        "transfer_id sku origin_location_id destination_location_id requested_at shipped_at "
        "shipment_date received_at shipped_quantity received_quantity "
        "receipt_variance_quantity is_received_in_full is_received_short cycle_time_h "
        "transfer_status",
        rows,
    )


def returns() -> list[dict]:
    return named(
        "return_id sku channel location_id received_at receipt_date inspected_at disposition "
        "disposition_time_h is_closed return_status",
        [
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
            (
                "R2",
                "SKU2",
                "web",
                "S001",
                at(3, 9),
                day(3),
                at(3, 15),
                "scrap",
                6.0,
                True,
                "disposed",
            ),
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
        ],
    )


def erp_reconciliation() -> list[dict]:
    """Per day 50 stock moves posted to the ERP: 36 sales posted after 1 h (pos; two of day
    4's only after 30 h: posted late) and 4 after 4 h, 10 transfer shipments after 6 + day/2 h
    (wms). So a day's posting lag is p50 1 h, p95 6 + day/2 h. Besides: the receipts of the
    short transfer lines T-B0 and T-B1 (their case_events, posted after 1 h), the sale e-77
    never posted (the exception queue's) and the shipment e-91, too young to judge."""
    rows = []
    for i in range(1, 11):
        for n in range(50):
            sale = n < 40
            lag = (30.0 if i == 4 and n < 2 else 1.0) if n < 36 else 4.0 if sale else 6 + i / 2
            rows.append(
                (f"m-{i}-{n:02d}", "sale" if sale else "transfer_shipped",
                 "pos" if sale else "wms", ("S001" if n < 18 else "S002") if sale else "DC01",
                 "SKU1" if n % 2 == 0 or not sale else "SKU2", -1 if sale else -10,
                 at(i, 9, n), f"p-{i}-{n:02d}", lag)
            )  # fmt: skip
    for n in range(2):
        rows.append(
            (f"T-B{n}|SKU2#3", "transfer_received", "pos", "S002", "SKU2", 7, at(n + 3, 12),
             f"post-TB{n}r", 1.0)
        )  # fmt: skip
    rows.append(("e-77", "sale", "pos", "S001", "SKU2", -2, at(7, 8), None, None))
    rows.append(("e-91", "transfer_shipped", "wms", "DC01", "SKU1", -3, at(9, 8), None, None))
    judged_before = HORIZON_AT - timedelta(hours=24)  # SPEC 5: judged once 24 h old
    moves = named(
        "event_id event_type source_system location_id sku stock_delta occurred_at "
        "posting_event_id reconciliation_time_h",
        rows,
    )
    for move in moves:
        occurred, lag = move["occurred_at"], move["reconciliation_time_h"]
        judged = occurred <= judged_before
        move.update(
            occurred_date=occurred.date(),
            posted_at=None if lag is None else occurred + timedelta(hours=lag),
            postings=int(lag is not None),
            is_posted=lag is not None,
            age_h=(HORIZON_AT - occurred).total_seconds() / 3600,
            is_judged=judged,
            is_unreconciled=judged and (lag is None or lag > 24),
            is_unposted_at_horizon=judged and lag is None,
        )
    return moves


def stock_positions() -> list[dict]:
    """End-of-day book positions: SKU1 at S002 at -5 from day 8 (the negative stock of the
    exception queue), SKU2 at S001 sold out on day 5 and restocked on day 6; SKU1 at S001 at
    -1 on day 4 before any stock snapshot set its book (no stockout: no baseline)."""
    return named(
        "sku location_id position_date closing_quantity has_snapshot_baseline is_stockout "
        "is_negative last_sale_date unit_cost closing_value_at_cost",
        [
            *(("SKU1", "S002", day(d), -5, True, True, True, day(8), 10.0, -50.0)
              for d in (8, 9, 10)),
            ("SKU2", "S001", day(5), 0, True, True, False, day(5), 4.0, 0.0),
            ("SKU2", "S001", day(6), 4, True, False, False, day(5), 4.0, 16.0),
            ("SKU1", "S001", day(4), -1, False, False, True, day(4), 10.0, -10.0),
        ],
    )  # fmt: skip


def api_calls() -> list[dict]:
    """oms_erp fails five times from 03-04 10:00 (a minute apart) and recovers at 10:05, and
    three times from 03-09 20:00; pos_feed fails once on 03-02."""
    calls = [("oms_erp", at(4, 10, m), m < 5) for m in range(6)]
    calls += [("oms_erp", at(9, 20, m), True) for m in range(3)]
    calls += [("pos_feed", at(2, 11), True), ("pos_feed", at(2, 11, 1), False)]
    return [
        {
            "event_id": f"api-{integration}-{when:%d%H%M}",
            "integration": integration,
            "source_system": "integration_gateway",
            "occurred_at": when,
            "call_date": when.date(),
            "status_code": 503 if failed else 200,
            "latency_ms": 30000.0 if failed else 120.0,
            "attempt": 1,
            "is_failed": failed,
        }
        for integration, when, failed in calls
    ]


def disruptions() -> list[dict]:
    return named(
        "disruption_id integration started_at disruption_date last_failed_at failed_calls "
        "recovered_at is_recovered recovery_time_min",
        [
            (
                "oms_erp:1",
                "oms_erp",
                at(4, 10),
                day(4),
                at(4, 10, 25),
                40,
                at(4, 10, 30),
                True,
                30.0,
            ),
            ("oms_erp:2", "oms_erp", at(9, 20), day(9), at(10, 22), 300, None, False, None),
        ],
    )


def cycle_counts() -> list[dict]:
    return named(
        "event_id count_id location_id sku counted_at count_date counted_quantity "
        "system_quantity variance_quantity is_accurate unit_cost variance_value_at_cost",
        [
            ("c1", "CNT1", "S002", "SKU1", at(9, 10), day(9), 3, 5, -2, False, 10.0, -20.0),
            ("c2", "CNT2", "S002", "SKU2", at(9, 11), day(9), 4, 4, 0, True, 4.0, 0.0),
            ("c3", "CNT3", "S001", "SKU1", at(2, 10), day(2), 5, 5, 0, True, 10.0, 0.0),
        ],
    )


def transitions() -> list[dict]:
    return named(
        "workflow from_activity to_activity transition_count case_count mean_duration_s "
        "p50_duration_s p95_duration_s",
        [
            ("order", "order_placed", "reservation_requested", 40, 40, 60.0, 59.0, 120.0),
            ("order", "reservation_requested", "reservation_confirmed", 36, 36, 3.0, 2.0, 15.0),
            ("order", "reservation_requested", "reservation_failed", 4, 4, 50.0, 50.0, 55.0),
            ("order", "reservation_failed", "reservation_requested", 4, 4, 3000.0, 3000.0, 9000.0),
            (
                "order",
                "reservation_confirmed",
                "order_fulfilled",
                32,
                32,
                50000.0,
                49000.0,
                90000.0,
            ),
            ("order", "reservation_confirmed", "order_cancelled", 4, 4, 20000.0, 19000.0, 40000.0),
            ("order", "order_placed", "order_cancelled", 2, 2, 600.0, 600.0, 700.0),
            ("order", "order_fulfilled", "order_fulfilled", 1, 1, 20000.0, 20000.0, 20000.0),
            ("return", "return_initiated", "return_received", 4, 4, 140000.0, 140000.0, 200000.0),
            ("return", "return_received", "return_inspected", 3, 3, 20000.0, 21600.0, 250000.0),
            ("return", "return_inspected", "return_restocked", 2, 2, 17000.0, 17000.0, 18000.0),
        ],
    )


def stalled() -> list[dict]:
    return named(
        "workflow case_key case_id sku location_id stage last_event_at age_h sla_hours "
        "hours_over_sla units value_at_cost as_of",
        [
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
        ],
    )


def exceptions() -> list[dict]:
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
            "O-10-2-w|SKU2",
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
    return named(
        "exception_id exception_type workflow reference_id location_id sku opened_at age_h "
        "units value_at_cost detail impact_rank as_of event_type",
        [(f"{r[0]}:{r[2]}", *r[:10], rank, AS_OF, r[10]) for rank, r in enumerate(ranked, start=1)],
    )


def _case(workflow: str, case_key: str, state: dict | None, *events: tuple) -> list[dict]:
    """The case_events rows of one case: `events` are (occurred_at, event_type,
    source_system, location_id, quantity, extra columns) in order; the wait since the
    previous event follows from the times, `state` is the case's at the horizon (None: it
    starts after it)."""
    case_id, _, sku = case_key.partition("|")
    rows, previous = [], None
    for index, (occurred_at, event_type, source, location, quantity, extra) in enumerate(
        events, start=1
    ):
        rows.append(
            {
                "workflow": workflow,
                "case_key": case_key,
                "case_id": case_id,
                "sku": sku or None,
                "event_index": index,
                "event_id": f"{case_key}#{index}",
                "event_type": event_type,
                "source_system": source,
                "occurred_at": occurred_at,
                "location_id": location,
                "quantity": quantity,
                "wait_since_previous_s": (occurred_at - previous).total_seconds()
                if previous
                else None,
                "is_after_horizon": occurred_at > HORIZON_AT,
                "is_stock_move": event_type in STOCK_MOVES,
                "as_of": HORIZON_AT,
                **extra,
                **(state or {}),
            }
        )
        previous = occurred_at
    return rows


STOCK_MOVES = ("order_fulfilled", "transfer_shipped", "transfer_received", "return_restocked")


def _state(stage: str, is_open: bool, sla_hours: float, due: datetime, over: float | None):
    return {
        "case_stage": stage,
        "case_is_open": is_open,
        "case_is_stalled": bool(is_open and over and over > 0),
        "sla_rule": "stage_sla",
        "sla_hours": sla_hours,
        "due_at": due,
        "hours_over_sla": over if is_open else None,
    }


def _posted(event_id: str, lag_h: float) -> dict:
    return {"erp_posting_event_id": event_id, "erp_posting_lag_h": lag_h}


def case_events() -> list[dict]:
    """The timelines (see the module): waits of 10 s, 5 s, 285 s, 60 s and 24 h on a
    marketplace line, fulfilled lines posted an hour later except day 7's."""
    rows = []
    for d in range(1, 11):
        oversold = d == 8  # O-8-2-m is SKU1, reserved at S002 and cancelled out of stock
        key = f"O-{d}-2-m|SKU1" if oversold else f"O-{d}-2-m|SKU2"
        failed_at, reserved_at = ("S001", "S002") if oversold else ("S002", "S001")
        channel = {"channel": "marketplace"}
        events = [
            (at(d, 10), "order_placed", "marketplace", None, 1, channel),
            (at(d, 10) + timedelta(seconds=10), "reservation_requested", "oms", failed_at, 1, channel),
            (at(d, 10) + timedelta(seconds=15), "reservation_failed", "oms", failed_at, 1,
             {**channel, "reason_code": "insufficient_stock"}),
            (at(d, 10, 5), "reservation_requested", "oms", reserved_at, 1, channel),
            (at(d, 10, 6), "reservation_confirmed", "oms", reserved_at, 1, channel),
        ]  # fmt: skip
        if oversold:
            events.append(
                (at(d, 12), "order_cancelled", "oms", None, 1,
                 {**channel, "reason_code": "out_of_stock"})
            )  # fmt: skip
            state = _state("order_cancelled", False, 72.0, at(d, 12) + timedelta(hours=72), None)
        elif d < 9:
            fulfilled = at(d + 1, 10, 6)
            posting = {} if d == 7 else _posted(f"post-{d}", 1.0)
            events.append((fulfilled, "order_fulfilled", "pos", "S001", 1, {**channel, **posting}))
            state = _state("order_fulfilled", False, 72.0, fulfilled + timedelta(hours=72), None)
        elif d == 9:  # confirmed before the horizon, fulfilled after it
            events.append((at(10, 10, 6), "order_fulfilled", "pos", "S001", 1, channel))
            state = _state("reservation_confirmed", True, 30.0, at(10, 16, 6), -18.1)
        else:
            state = None  # placed after the horizon
        rows += _case("order", key, state, *events)
    for key in ("O-5-1-0|SKU1", "O-6-1-0|SKU1", "O-6-1-1|SKU1"):
        d = int(key.split("-")[1])
        web = {"channel": "web"}
        rows += _case(
            "order", key, _state("order_cancelled", False, 72.0, at(d, 16, 1) + timedelta(hours=72), None),
            (at(d, 10), "order_placed", "ecommerce", None, 1, web),
            (at(d, 10), "reservation_requested", "oms", "S002", 1, web),
            (at(d, 10, 1), "reservation_confirmed", "oms", "S002", 1, web),
            (at(d, 16, 1), "order_cancelled", "oms", None, 1, {**web, "reason_code": "out_of_stock"}),
        )  # fmt: skip
    web = {"channel": "web"}
    rows += _case(
        "order", "O-10-2-w|SKU2", None,
        (at(10, 10), "order_placed", "ecommerce", None, 1, web),
        (at(10, 10), "reservation_requested", "oms", "S001", 1, web),
        (at(10, 10) + timedelta(seconds=5), "reservation_failed", "oms", "S001", 1,
         {**web, "reason_code": "timeout"}),
    )  # fmt: skip
    rows += _case(
        "order", "O-1-2-w|SKU2", _state("reservation_confirmed", True, 72.0, at(4, 10), 157.0),
        (at(1, 10), "order_placed", "ecommerce", None, 1, web),
        (at(1, 10), "reservation_requested", "oms", "S001", 1, web),
        (at(1, 10), "reservation_confirmed", "oms", "S001", 1, web),
    )  # fmt: skip
    # the window's slowest reservation (reservations(): 120 s at S002 on day 9), fulfilled
    # and posted an hour later
    mkt = {"channel": "marketplace"}
    fulfilled = at(9, 15)
    rows += _case(
        "order", "O-9-2-w|SKU2", _state("order_fulfilled", False, 72.0, fulfilled + timedelta(hours=72), None),
        (at(9, 10), "order_placed", "marketplace", None, 1, mkt),
        (at(9, 10), "reservation_requested", "oms", "S002", 1, mkt),
        (at(9, 10, 2), "reservation_confirmed", "oms", "S002", 1, mkt),
        (fulfilled, "order_fulfilled", "pos", "S002", 1, {**mkt, **_posted("post-9w", 1.0)}),
    )  # fmt: skip
    # the stalled returns of stalled(): R3 inspected for restock and never restocked (72 h
    # SLA, 62 h over at as_of), R4 received and never inspected (86 h over)
    rows += _case(
        "return", "R3|SKU1", _state("return_inspected", True, 72.0, at(8, 9), 62.0),
        (at(1, 15), "return_initiated", "marketplace", None, 1, {"channel": "marketplace"}),
        (at(2, 9), "return_received", "pos", "S002", 1, {"channel": "marketplace"}),
        (at(5, 9), "return_inspected", "pos", "S002", 1,
         {"channel": "marketplace", "reason_code": "restock"}),
    )  # fmt: skip
    rows += _case(
        "return", "R4|SKU2", _state("return_received", True, 72.0, at(7, 9), 86.0),
        (at(3, 12), "return_initiated", "ecommerce", None, 1, web),
        (at(4, 9), "return_received", "pos", "S002", 1, web),
    )  # fmt: skip
    # the short lines of transfers(): 10 shipped, 7 received two days later, both posted
    for n in range(2):
        route = {"to_location_id": "S002"}
        rows += _case(
            "transfer", f"T-B{n}|SKU2", _state("transfer_received", False, 72.0, at(n + 6, 12), None),
            (at(n + 1, 8), "transfer_requested", "erp", "DC01", 10, route),
            (at(n + 1, 12), "transfer_shipped", "wms", "DC01", 10,
             {**route, **_posted(f"post-TB{n}s", 1.0)}),
            (at(n + 3, 12), "transfer_received", "pos", "S002", 7,
             _posted(f"post-TB{n}r", 1.0)),
        )  # fmt: skip
    return rows


def _features(features: tuple[str, ...], **values: float) -> dict[str, float]:
    """Every declared feature, 0 unless given (a name not declared is an error)."""
    unknown = set(values) - set(features)
    assert not unknown, f"not declared features: {sorted(unknown)}"
    return {feature: values.get(feature, 0.0) for feature in features}


def location_risk() -> list[dict]:
    """S002 and DC01 both saturate the calibrated score; the model's rank orders them. S002
    counts worst (discrepancy rate 0.5 against 0.1 and 0), DC01 ships short."""
    scored = {"as_of": AS_OF, "model_version": "risk-v1"}
    quiet = "no feature stands out from its peers"
    return [
        {
            **scored,
            "location_id": "S002",
            "location_type": "store",
            "region": "south",
            "risk_score": 1.0,
            "risk_rank": 1,
            "combined_score": 0.9,
            "isolation_score": 0.85,
            "knn_score": 0.95,
            "top_features": ["count_discrepancy_rate", "stalled_return_rate"],
            "reason": "count discrepancies 4.0x peer median; stalled returns 0.5 vs peer median 0",
            **_features(
                LOCATION_FEATURES,
                count_discrepancy_rate=0.5,
                shrink_units_per_throughput=0.02,
                stalled_return_rate=0.5,
            ),
        },
        {
            **scored,
            "location_id": "DC01",
            "location_type": "dc",
            "region": "north",
            "risk_score": 1.0,
            "risk_rank": 2,
            "combined_score": 0.7,
            "isolation_score": 0.6,
            "knn_score": 0.8,
            "top_features": ["outbound_short_receipt_rate"],
            "reason": "short shipments 2.0x peer median",
            **_features(
                LOCATION_FEATURES,
                count_discrepancy_rate=0.1,
                shrink_units_per_throughput=0.01,
                outbound_short_receipt_rate=0.5,
            ),
        },
        {
            **scored,
            "location_id": "S001",
            "location_type": "store",
            "region": "north",
            "risk_score": 0.2,
            "risk_rank": 3,
            "combined_score": 0.1,
            "isolation_score": 0.1,
            "knn_score": 0.1,
            "top_features": [],
            "reason": quiet,
            **_features(LOCATION_FEATURES),
        },
    ]


def location_category_risk() -> list[dict]:
    def row(location, region, category, score, rank, reason, **features) -> dict:
        return {
            "location_id": location,
            "category": category,
            "location_type": "store",
            "region": region,
            "as_of": AS_OF,
            "risk_score": score,
            "risk_rank": rank,
            "combined_score": score,
            "isolation_score": score,
            "knn_score": score,
            "top_features": list(features),
            "reason": reason,
            **_features(LOCATION_CATEGORY_FEATURES, **features),
        }

    quiet = "no feature stands out from its peers"
    return [
        row("S002", "south", "apparel", 0.99, 1, "count discrepancies 5.0x peer median",
            count_discrepancy_rate=0.6),
        row("S002", "south", "home", 0.4, 4, quiet),
        row("S001", "north", "apparel", 0.6, 2, quiet),
    ]  # fmt: skip


def cycle_count_requests() -> list[dict]:
    """CC-1 at S002 came back (the job filled in its results); CC-2 at DC01 is open."""
    return named(
        "request_id location_id requested_at risk_score risk_rank reason sku_count "
        "expected_discrepancy_value status counted_at skus_counted skus_inaccurate "
        "units_corrected value_corrected outbox_file",
        [
            ("CC-1", "S002", at(9, 8), 1.0, 1, "count discrepancies 4.0x peer median", 2,
             38.0, "counted", at(9, 11), 2, 1, 2, 20.0, "outbox/cycle_counts/CC-1.json"),
            ("CC-2", "DC01", at(10, 8), 1.0, 2, "short shipments 2.0x peer median", 1,
             12.0, "open", None, None, None, None, None, "outbox/cycle_counts/CC-2.json"),
        ],
    )  # fmt: skip


def cycle_count_request_lines() -> list[dict]:
    return named(
        "request_id priority location_id sku category abc_class book_quantity "
        "inaccuracy_probability expected_discrepancy_value reason",
        [
            ("CC-1", 2, "S002", "SKU2", "home", "B", 4.0, 0.4, 8.0, "counted short before"),
            ("CC-1", 1, "S002", "SKU1", "apparel", "A", 5.0, 0.6, 30.0, "apparel counts off"),
            ("CC-2", 1, "DC01", "SKU1", "apparel", "A", 100.0, 0.2, 12.0, "short shipments"),
        ],
    )


ROWS = {
    "marts.dim_locations": locations,
    "marts.kpi_catalog": kpi_catalog,
    "marts.kpi_daily": kpi_daily,
    "marts.kpi_observations": kpi_observations,
    "marts.kpi_period": kpi_period,
    "intermediate.int_data_horizon": data_horizon,
    "intermediate.int_source_watermarks": source_watermarks,
    "marts.alert_conditions": alert_conditions,
    "marts.kpi_movements": kpi_movements,
    "marts.fct_order_lines": order_lines,
    "marts.fct_reservations": reservations,
    "marts.fct_transfers": transfers,
    "marts.fct_returns": returns,
    "marts.fct_integration_disruptions": disruptions,
    "marts.fct_cycle_counts": cycle_counts,
    "marts.fct_stock_positions": stock_positions,
    "intermediate.int_erp_reconciliation": erp_reconciliation,
    "intermediate.int_api_calls": api_calls,
    "marts.process_transitions": transitions,
    "marts.stalled_cases": stalled,
    "marts.exception_queue": exceptions,
    "marts.case_events": case_events,
    "intelligence.location_risk": location_risk,
    "intelligence.location_category_risk": location_category_risk,
    "actions.cycle_count_requests": cycle_count_requests,
    "actions.cycle_count_request_lines": cycle_count_request_lines,
}


def _insert(con: duckdb.DuckDBPyConnection, relation: str, rows: list[dict]) -> None:
    """Insert named rows: a declared table's through `Table.conform` (as its producer
    writes), a mart's with the columns the rows do not name left null."""
    columns = TABLES[relation]
    if relation in DECLARED:
        frame = DECLARED[relation].conform(pl.DataFrame(rows, infer_schema_length=None))
        con.register("conformed", frame)
        con.execute(f"insert into {relation} select * from conformed")
        con.unregister("conformed")
        return
    for row in rows:
        undeclared = set(row) - set(columns)
        assert not undeclared, f"{relation} declares no column {sorted(undeclared)}"
    placeholders = ", ".join("?" for _ in columns)
    con.executemany(
        f"insert into {relation} values ({placeholders})",
        [tuple(row.get(name) for name in columns) for row in rows],
    )


def build_warehouse(path: Path, with_risk_tables: bool = True) -> Path:
    """A DuckDB file holding the hand-made marts (and the risk/cycle-count tables)."""
    with duckdb.connect(str(path)) as con:
        for relation, columns in TABLES.items():
            if relation in DECLARED and not with_risk_tables:
                continue
            con.execute(f"create schema if not exists {relation.split('.')[0]}")
            ddl = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            con.execute(f"create table {relation} ({ddl})")
            _insert(con, relation, ROWS[relation]())
    return path


def previous_run(con: duckdb.DuckDBPyConnection) -> None:
    """The fixture warehouse as the run before left it: the failed reservation of O-10-2-w
    had not happened yet, the oversell of O-6-1-1 (S002, 10.0 at cost) was still open (so
    since then one exception opened and one closed), pos had 600 events fewer and wms 300,
    both watermarks 2 h earlier; erp and the supplier portal delivered nothing since."""
    con.execute("delete from marts.exception_queue where exception_type = 'failed_reservation'")
    con.execute(
        "insert into marts.exception_queue (exception_id, exception_type, workflow, "
        "reference_id, location_id, sku, opened_at, age_h, units, value_at_cost, detail, "
        "impact_rank, as_of, event_type) values ('oversell:O-6-1-1|SKU1', 'oversell', 'order', "
        "'O-6-1-1|SKU1', 'S002', 'SKU1', ?, 60.0, 1, 10.0, "
        "'confirmed reservation cancelled out_of_stock', 6, ?, 'order_cancelled')",
        [at(6, 10), AS_OF],
    )
    for source, fewer in (("pos", 600), ("wms", 300)):
        con.execute(
            "update intermediate.int_source_watermarks set events = events - ?, "
            "watermark_at = watermark_at - interval 2 hour where source_system = ?",
            [fewer, source],
        )


def publish_fixture_snapshot(tmp_path: Path, with_risk_tables: bool = True) -> Path:
    """The fixture warehouse published as the pipeline's last two runs left it: the run
    before (`previous_run`), then this one (with the deployed count threshold); returns the
    snapshots folder. `tmp_path/warehouse.duckdb` is this run's warehouse."""
    snapshots = tmp_path / "snapshots"
    before = build_warehouse(tmp_path / "previous.duckdb", with_risk_tables)
    warehouse = build_warehouse(tmp_path / "warehouse.duckdb", with_risk_tables)
    for path, edit in ((before, previous_run), (warehouse, None)):
        with duckdb.connect(str(path)) as con:
            if edit:
                edit(con)
            publish_snapshot(con, snapshots, risk_threshold=RISK_THRESHOLD)
    return snapshots


def components_in(component):
    """Every component of a rendered tree, depth first."""
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(reversed(node))
            continue
        yield node
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)


def find_component(component, element_id: str):
    """The component with this id in a rendered page (depth first). A chart's or a table's
    id names its card: the graph or DataTable inside it (components.graph_id, table_id)
    comes back, so `.figure` and `.data` read what the page draws."""
    for node in components_in(component):
        if getattr(node, "id", None) == element_id:
            inner = (
                child
                for child in components_in(getattr(node, "children", None))
                if getattr(child, "id", None) in (graph_id(element_id), table_id(element_id))
            )
            return next(inner, node)
    raise LookupError(element_id)
