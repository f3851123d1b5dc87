"""The cases behind a figure: per case set, the rows that make a figure's numerator (the
oversold order lines, the short transfer lines, the stalled cases, ...), each naming the case
its timeline shows. A set reads its table under the same where clause as the figure it
explains (so the list and the figure count the same rows), narrowed by its facets: URL
parameters bound as equalities on the set's own columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import polars as pl

from dashboards.data import Missing, SnapshotData, at_locations, where
from dashboards.filters import Filters, filter_conditions
from dashboards.pages.exceptions.queries import CASE_OF_EXCEPTION
from dashboards.pages.orders.queries import order_lines_where
from dashboards.pages.transfers.queries import completed_where

# What every set selects to name its cases: the workflow and case_key of the case timeline,
# or the id of an event whose case the timeline finds (an unposted stock move).
CASE_COLUMNS = ("case_workflow", "case_key", "case_event")


@dataclass(frozen=True)
class CaseSet:
    """One list of cases: `select` (SQL over `table` with a `{where}` that `where` fills
    from the filters, naming CASE_COLUMNS), ordered by `order`; `facets` maps URL parameters
    to the columns they narrow; `columns` is what the table shows (column -> header), each
    row opening its case's timeline."""

    slug: str
    title: str
    explains: str  # which figure or KPI counts these rows
    page: str  # slug of the page that explains them
    table: str
    select: str
    where: Callable[[Filters], tuple[str, list]]
    order: str
    columns: Mapping[str, str]
    facets: Mapping[str, str] = field(default_factory=dict)


def cases(data: SnapshotData, case_set: CaseSet, filters: Filters) -> pl.DataFrame | Missing:
    """The set's rows under the filters and the facets the URL gives."""
    if not data.has(case_set.table):
        return Missing(case_set.table)
    clause, params = case_set.where(filters)
    facets = [
        (column, value)
        for facet, column in case_set.facets.items()
        if (value := filters.param(facet)) is not None
    ]
    narrowed = " and ".join(f'"{column}" = ?' for column, _ in facets)
    return data.frame(
        f"select * from ({case_set.select.replace('{where}', clause)}) as cases "
        f"{'where ' + narrowed if narrowed else ''} order by {case_set.order}",
        [*params, *(value for _, value in facets)],
    )


def _order_line_set(slug: str, title: str, explains: str, rule: str) -> CaseSet:
    return CaseSet(
        slug,
        title,
        explains,
        page="orders",
        table="fct_order_lines",
        select="""
            select 'order' as case_workflow, order_id || '|' || sku as case_key,
                null as case_event, order_id, sku, channel, order_date, ordered_quantity,
                fulfilment_location_id, oversell_location_id, line_status
            from fct_order_lines {where}
        """,
        where=lambda filters: order_lines_where(filters, rule),
        order="order_date, case_key",
        columns={
            "case_key": "order line",
            "order_date": "ordered",
            "channel": "channel",
            "sku": "SKU",
            "ordered_quantity": "units",
            "fulfilment_location_id": "fulfilled from",
            "oversell_location_id": "oversold at",
            "line_status": "status",
        },
        facets={"sku": "sku"},
    )


_STALLED = CaseSet(
    "stalled-cases",
    "Stalled cases",
    "cases open past the SLA of the stage they sit in (or, for a purchase order, its "
    "expected date plus the grace) at the data horizon; the dates do not apply",
    page="exceptions",
    table="stalled_cases",
    select="""
        select workflow as case_workflow, case_key, null as case_event, workflow, location_id,
            sku, stage, last_event_at, age_h, sla_hours, hours_over_sla, units, value_at_cost
        from stalled_cases {where}
    """,
    where=at_locations,
    order="hours_over_sla desc, case_key",
    columns={
        "case_key": "case",
        "workflow": "workflow",
        "location_id": "location",
        "stage": "stuck at",
        "last_event_at": "last event",
        "age_h": "idle (h)",
        "sla_hours": "SLA (h)",
        "hours_over_sla": "over SLA (h)",
        "units": "units",
        "value_at_cost": "value at cost",
    },
    facets={"workflow": "workflow", "stage": "stage"},
)

_EXCEPTIONS = CaseSet(
    "open-exceptions",
    "Open exceptions",
    "the exception queue as of the snapshot, highest impact first; the dates do not apply",
    page="exceptions",
    table="exception_queue",
    select=f"""
        select {CASE_OF_EXCEPTION}, impact_rank, exception_type, workflow, location_id, sku,
            reference_id, event_type, opened_at, age_h, units, value_at_cost, detail
        from exception_queue {{where}}
    """,
    where=at_locations,
    order="impact_rank",
    columns={
        "impact_rank": "rank",
        "exception_type": "exception",
        "reference_id": "case or event",
        "location_id": "location",
        "sku": "SKU",
        "opened_at": "opened",
        "age_h": "age (h)",
        "units": "units",
        "value_at_cost": "value at cost",
        "detail": "detail",
    },
    facets={"exception_type": "exception_type", "workflow": "workflow", "event": "event_type"},
)

CASE_SETS: dict[str, CaseSet] = {
    case_set.slug: case_set
    for case_set in (
        _order_line_set(
            "oversold-lines",
            "Oversold order lines",
            "oversells: order lines confirmed, then cancelled out of stock, by day of the "
            "order (the Orders page's oversells)",
            "is_oversold",
        ),
        _order_line_set(
            "exception-orders",
            "Order lines of orders with an exception",
            "orders with an exception: every line of an order with at least one exception, "
            "by day of the order (the KPI counts the orders)",
            "order_has_exception",
        ),
        CaseSet(
            "failed-reservations",
            "Failed reservations",
            "reservation failures: every reservation_failed event, by day of the failure (the "
            "KPI counts them on the day of the line's first request)",
            page="orders",
            table="case_events",
            select="""
                select workflow as case_workflow, case_key, null as case_event, occurred_at,
                    channel, location_id, reason_code, quantity
                from case_events {where}
            """,
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
            columns={
                "case_key": "order line",
                "occurred_at": "failed",
                "channel": "channel",
                "location_id": "location",
                "reason_code": "reason",
                "quantity": "units",
            },
            facets={"reason": "reason_code"},
        ),
        CaseSet(
            "short-transfers",
            "Transfer lines received short",
            "transfer lines shipped and received with fewer units than shipped, by day of "
            "shipment (what keeps a lane's transfers from arriving in full)",
            page="transfers",
            table="fct_transfers",
            select="""
                select 'transfer' as case_workflow, transfer_id || '|' || sku as case_key,
                    null as case_event, transfer_id, sku,
                    origin_location_id || ' → ' || destination_location_id as lane,
                    shipment_date, shipped_quantity, received_quantity,
                    receipt_variance_quantity, cycle_time_h
                from fct_transfers {where}
            """,
            where=lambda filters: completed_where(filters, "is_received_short"),
            order="shipment_date, case_key",
            columns={
                "case_key": "transfer line",
                "lane": "lane",
                "shipment_date": "shipped",
                "shipped_quantity": "shipped units",
                "received_quantity": "received units",
                "receipt_variance_quantity": "variance",
                "cycle_time_h": "cycle (h)",
            },
            facets={"lane": "lane", "sku": "sku"},
        ),
        _STALLED,
        _EXCEPTIONS,
    )
}
