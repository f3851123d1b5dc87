"""What explains what, in one place: per figure (its element id), the cases behind it and
what a mark of it narrows them to; per KPI of the catalog, the page that explains it and the
cases behind its numerator (None where the KPI is a duration or a state no list of cases
makes). The case sets are pages/cases' CASE_SETS."""

from __future__ import annotations

from .links import Drill

_OPEN_BY_TYPE = {"series": "exception_type"}
_UNPOSTED = Drill("open-exceptions", (("exception_type", "unreconciled_event"),))
_RETURNS = ("stalled-cases", (("workflow", "return"),))
_STALLED_RETURNS = Drill(*_RETURNS)

FIGURE_CASES: dict[str, Drill] = {
    "overview-exceptions": Drill("open-exceptions", along="workflow", **_OPEN_BY_TYPE),
    "overview-order-exceptions": Drill("exception-orders", along="day", series="channel"),
    "orders-failure-reasons": Drill("failed-reservations", along="day", series="reason"),
    "orders-oversells": Drill("oversold-lines", along="day", series="channel"),
    "orders-oversold-skus": Drill("oversold-lines"),
    "orders-exception-rate": Drill("exception-orders", along="day", series="channel"),
    "transfers-lane-accuracy": Drill("short-transfers", along="lane"),
    "transfers-origin-trend": Drill("short-transfers", along="day"),
    "returns-stalled": Drill(*_RETURNS, along="location", series="stage"),
    "reconciliation-unposted-by-day": _UNPOSTED,
    "reconciliation-backlog-aging": _UNPOSTED,
    "exceptions-by-workflow": Drill("open-exceptions", along="workflow", **_OPEN_BY_TYPE),
    "exceptions-by-location": Drill("open-exceptions", along="location", **_OPEN_BY_TYPE),
}

KPI_EXPLAINED_BY: dict[str, tuple[str, Drill | None]] = {
    "order_exception_rate": ("orders", Drill("exception-orders")),
    "reservation_failure_rate": ("orders", Drill("failed-reservations")),
    "reservation_latency_p50_s": ("orders", None),
    "reservation_latency_p95_s": ("orders", None),
    "oversell_incidents": ("orders", Drill("oversold-lines")),
    "transfer_accuracy": ("transfers", Drill("short-transfers")),
    "transfer_cycle_time_p50_h": ("transfers", None),
    "transfer_cycle_time_p95_h": ("transfers", None),
    "returns_disposition_time_p50_h": ("returns", _STALLED_RETURNS),
    "returns_disposition_time_p95_h": ("returns", _STALLED_RETURNS),
    "reconciliation_time_p50_h": ("reconciliation", _UNPOSTED),
    "reconciliation_time_p95_h": ("reconciliation", _UNPOSTED),
    "unreconciled_events": ("reconciliation", _UNPOSTED),
    "unposted_backlog": ("reconciliation", _UNPOSTED),
    "inventory_record_accuracy": ("cycle-counts", None),
    "stockout_rate": ("risk", None),
    "negative_stock_positions": (
        "exceptions",
        Drill("open-exceptions", (("exception_type", "negative_stock"),)),
    ),
    "supplier_on_time_rate": (
        "exceptions",
        Drill("stalled-cases", (("workflow", "replenishment"),)),
    ),
    "api_failure_rate": ("integrations", None),
    "integration_disruptions": ("integrations", None),
    "disruption_recovery_time_min": ("integrations", None),
    "source_delivery_lag_p95_min": ("integrations", None),
}
