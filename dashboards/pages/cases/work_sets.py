"""The cases behind the count figures of the orders, transfers, exceptions and what-changed
pages: the oversold and exception order lines, the failed reservations, the short transfer
lines, the stalled cases, the open exceptions and those opened or closed since the previous
run."""

from __future__ import annotations

from dashboards.data import at_locations, where
from dashboards.filters import filter_conditions
from dashboards.pages.exceptions.queries import CASE_OF_EXCEPTION
from dashboards.pages.orders.queries import order_lines_where
from dashboards.pages.transfers.queries import completed_where

from .caseset import CaseSet, line_case, shown

# A transfer line's lane, as the transfers page labels it.
LANE = "origin_location_id || ' → ' || destination_location_id"
ORDER_LINE_COLUMNS = shown(
    "case_key=order line; order_date=ordered; channel; sku=SKU; ordered_quantity=units; "
    "fulfilment_location_id=fulfilled from; oversell_location_id=oversold at; line_status=status"
)


def _order_line_set(slug: str, title: str, explains: str, rule: str) -> CaseSet:
    return CaseSet(
        slug,
        title,
        explains,
        page="orders",
        table="fct_order_lines",
        case=line_case("order", "order_id"),
        where=lambda filters: order_lines_where(filters, rule),
        order="order_date, case_key",
        columns=ORDER_LINE_COLUMNS,
        facets={"sku": "sku"},
    )


_FAILED = CaseSet(
    "failed-reservations",
    "Failed reservations",
    "reservation failures: every reservation_failed event, by day of the failure (the KPI "
    "counts them on the day of the line's first request)",
    page="orders",
    table="case_events",
    case="workflow as case_workflow, case_key, null as case_event",
    where=lambda filters: where(
        filter_conditions(
            filters,
            date_column="cast(occurred_at as date)",
            channel_column="channel",
            location_columns=("location_id",),
        ),
        "event_type = 'reservation_failed'",
    ),
    order="occurred_at, case_key",
    columns=shown(
        "case_key=order line; occurred_at=failed; channel; location_id=location; "
        "reason_code=reason; quantity=units"
    ),
    facets={"reason": "reason_code"},
)

_SHORT = CaseSet(
    "short-transfers",
    "Transfer lines received short",
    "transfer lines shipped and received with fewer units than shipped, by day of shipment "
    "(what keeps a lane's transfers from arriving in full)",
    page="transfers",
    table="fct_transfers",
    case=line_case("transfer", "transfer_id"),
    computed={"lane": LANE},
    where=lambda filters: completed_where(filters, "is_received_short"),
    order="shipment_date, case_key",
    columns=shown(
        "case_key=transfer line; lane; shipment_date=shipped; shipped_quantity=shipped units; "
        "received_quantity=received units; receipt_variance_quantity=variance; "
        "cycle_time_h=cycle (h)"
    ),
    facets={"lane": "lane", "sku": "sku"},
)

_STALLED = CaseSet(
    "stalled-cases",
    "Stalled cases",
    "cases open past the SLA of the stage they sit in (or, for a purchase order, its "
    "expected date plus the grace) at the data horizon; the dates do not apply",
    page="exceptions",
    table="stalled_cases",
    case="workflow as case_workflow, case_key, null as case_event",
    where=at_locations,
    order="hours_over_sla desc, case_key",
    columns=shown(
        "case_key=case; workflow; location_id=location; stage=stuck at; "
        "last_event_at=last event; age_h=idle (h); sla_hours=SLA (h); "
        "hours_over_sla=over SLA (h); units; value_at_cost=value at cost"
    ),
    facets={"workflow": "workflow", "stage": "stage"},
)

# An exception as a list shows it (the queue, what changed), after its rank or its change.
EXCEPTION_COLUMNS = shown(
    "exception_type=exception; reference_id=case or event; location_id=location; sku=SKU; "
    "opened_at=opened; age_h=age (h); units; value_at_cost=value at cost; detail"
)


def _exception_set(slug: str, title: str, explains: str, table: str, **settings) -> CaseSet:
    """Exceptions as the queue names them (each opening the case it is about, an unposted
    move its event's), at the selected locations; the dates do not apply."""
    return CaseSet(
        slug,
        title,
        explains + "; the dates do not apply",
        page="exceptions" if table == "exception_queue" else "changes",
        table=table,
        case=CASE_OF_EXCEPTION,
        where=at_locations,
        **settings,
    )


_EXCEPTIONS = _exception_set(
    "open-exceptions",
    "Open exceptions",
    "the exception queue as of the snapshot, highest impact first",
    "exception_queue",
    order="impact_rank",
    columns=shown("impact_rank=rank") | EXCEPTION_COLUMNS,
    facets={"exception_type": "exception_type", "workflow": "workflow", "event": "event_type"},
)
_CHANGED = _exception_set(
    "exception-changes",
    "Exceptions opened and closed since the previous run",
    "what changed: the exceptions in this snapshot's queue and not in the previous run's "
    "(opened), or the other way round (closed), opened first, highest value first",
    "exception_changes",
    facets={"change": "change", "exception_type": "exception_type"},
    columns=shown("change") | EXCEPTION_COLUMNS,
    order="change desc, value_at_cost desc nulls last, reference_id",
)

WORK_SETS: tuple[CaseSet, ...] = (
    _order_line_set(
        "oversold-lines",
        "Oversold order lines",
        "oversells: order lines confirmed, then cancelled out of stock, by day of the order "
        "(the Orders page's oversells)",
        "is_oversold",
    ),
    _order_line_set(
        "exception-orders",
        "Order lines of orders with an exception",
        "orders with an exception: every line of an order with at least one exception, by "
        "day of the order (the KPI counts the orders)",
        "order_has_exception",
    ),
    _FAILED,
    _SHORT,
    _STALLED,
    _EXCEPTIONS,
    _CHANGED,
)
