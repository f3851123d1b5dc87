"""What explains what, in one place: per figure (its element id), the cases behind it and
what a mark of it narrows them to; per KPI of the catalog, the page that explains it and the
cases behind it: the rows of its numerator, or for a duration the cases it measures. The
case sets are pages/cases' CASE_SETS. (A process map's steps link their own cases: the map is
drawn per workflow, see pages/process.)"""

from __future__ import annotations

from datetime import date

from .filters import Filters
from .links import Drill

_OPEN_BY_TYPE = {"series": "exception_type"}
_UNPOSTED = Drill("open-exceptions", (("exception_type", "unreconciled_event"),))
_RESERVATIONS = Drill("slow-reservations")
_TRANSFERS = Drill("transfer-cycle-times")
_RETURNS = Drill("return-dispositions")
_POSTINGS = Drill("posting-lags")
_DISRUPTIONS = Drill("disruptions")

FIGURE_CASES: dict[str, Drill] = {
    "overview-exceptions": Drill("open-exceptions", along="workflow", **_OPEN_BY_TYPE),
    "overview-order-exceptions": Drill("exception-orders", along="day", series="channel"),
    "orders-latency": Drill("slow-reservations", along="bucket", series="channel"),
    "orders-failure-reasons": Drill("failed-reservations", along="day", series="reason"),
    "orders-oversells": Drill("oversold-lines", along="day", series="channel"),
    "orders-oversold-skus": Drill("oversold-lines", along="day", across="sku"),
    "orders-exception-rate": Drill("exception-orders", along="day", series="channel"),
    "transfers-lane-accuracy": Drill("short-transfers", along="lane"),
    "transfers-lane-cycle-time": Drill("transfer-cycle-times", along="lane", key="y"),
    "transfers-origin-trend": Drill("short-transfers", along="day"),
    "returns-disposition-by-location": Drill("return-dispositions", along="location", key="y"),
    "returns-disposition-trend": Drill("return-dispositions", along="day"),
    "returns-stalled": Drill(
        "stalled-cases", (("workflow", "return"),), along="location", series="stage"
    ),
    "reconciliation-lag-trend": Drill("posting-lags", along="day"),
    "reconciliation-lag-by-type": Drill("posting-lags", along="event_type"),
    "reconciliation-unposted-by-day": Drill("late-postings", along="day", series="source"),
    "reconciliation-backlog-aging": _UNPOSTED,
    "integrations-failure-rate": Drill("failed-api-calls", along="day", series="integration"),
    "integrations-recovery": Drill("disruptions", along="day", series="integration"),
    "integrations-feed-lag": Drill("source-lags", along="day", series="source"),
    "changes-exceptions": Drill("exception-changes", along="exception_type", series="change"),
    "exceptions-by-workflow": Drill("open-exceptions", along="workflow", **_OPEN_BY_TYPE),
    "exceptions-by-location": Drill("open-exceptions", along="location", **_OPEN_BY_TYPE),
    "risk-ranking": Drill("open-exceptions", along="location"),
    "risk-by-region": Drill("open-exceptions", along="location"),
    "risk-drivers": Drill("open-exceptions", across="location"),
    "cycle-counts-status": Drill("count-request-lines", along="status"),
    "cycle-counts-at-stake": Drill(
        "count-request-lines", along="request", series="status", key="customdata"
    ),
    "cycle-counts-results": Drill("count-request-lines", along="request", key="customdata"),
}


def kpi_day_cases(kpi_name: str, day: date) -> str | None:
    """The link to the cases behind a KPI on one day (a bar of the what-changed page's KPI
    movements), under no other filter; None for a KPI without a list."""
    _, drill = KPI_EXPLAINED_BY.get(kpi_name, (None, None))
    return drill and drill.link(Filters(), day=day)


def step_cases(workflow: str) -> Drill:
    """The cases that took one step (from -> to) of a workflow's process map."""
    return Drill("transitions", (("workflow", workflow),))


KPI_EXPLAINED_BY: dict[str, tuple[str, Drill | None]] = {
    "order_exception_rate": ("orders", Drill("exception-orders")),
    "reservation_failure_rate": ("orders", Drill("failed-reservations")),
    "reservation_latency_p50_s": ("orders", _RESERVATIONS),
    "reservation_latency_p95_s": ("orders", _RESERVATIONS),
    "oversell_incidents": ("orders", Drill("oversold-lines")),
    "transfer_accuracy": ("transfers", Drill("short-transfers")),
    "transfer_cycle_time_p50_h": ("transfers", _TRANSFERS),
    "transfer_cycle_time_p95_h": ("transfers", _TRANSFERS),
    "returns_disposition_time_p50_h": ("returns", _RETURNS),
    "returns_disposition_time_p95_h": ("returns", _RETURNS),
    "reconciliation_time_p50_h": ("reconciliation", _POSTINGS),
    "reconciliation_time_p95_h": ("reconciliation", _POSTINGS),
    "unreconciled_events": ("reconciliation", Drill("late-postings")),
    "unposted_backlog": ("reconciliation", _UNPOSTED),
    "inventory_record_accuracy": ("cycle-counts", Drill("cycle-counts")),
    "stockout_rate": ("risk", Drill("stockouts")),
    "negative_stock_positions": (
        "exceptions",
        Drill("open-exceptions", (("exception_type", "negative_stock"),)),
    ),
    "supplier_on_time_rate": (
        "exceptions",
        Drill("stalled-cases", (("workflow", "replenishment"),)),
    ),
    "api_failure_rate": ("integrations", Drill("failed-api-calls")),
    "integration_disruptions": ("integrations", _DISRUPTIONS),
    "disruption_recovery_time_min": ("integrations", _DISRUPTIONS),
    "source_delivery_lag_p95_min": ("integrations", Drill("source-lags")),
}
