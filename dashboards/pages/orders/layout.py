"""The orders page: reservations, oversells and promotions, and the open order exceptions."""

from __future__ import annotations

from functools import partial

from dashboards.components import Chart, grid, section
from dashboards.data import SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters
from dashboards.links import linked
from dashboards.pages.exceptions.queries import exception_queue

from . import figures, queries


def render(data: SnapshotData, filters: Filters) -> list:
    latency = (
        queries.reservation_latencies(data, filters),
        queries.reservation_latency_percentiles(data, filters),
    )
    reasons = FAILURE_REASONS(queries.reservation_failure_reasons(data, filters), filters=filters)
    oversells = OVERSELLS(queries.orders_by_day(data, filters), filters=filters)
    skus = OVERSOLD_SKUS(queries.oversells_by_sku_day(data, filters), filters=filters)
    rates = EXCEPTION_RATE(queries.order_exception_rate_by_channel(data, filters), filters=filters)
    return [
        section("Reservations", grid(LATENCY(*latency, filters=filters), reasons)),
        section("Oversells and promotions", grid(oversells, skus, rates)),
        section("Work list", OPEN_EXCEPTIONS(data, filters)),
    ]


# The charts and tables `render` fills in.
LATENCY = Chart("orders-latency", "Reservation latency", figures.reservation_latency_histogram)
FAILURE_REASONS = Chart(
    "orders-failure-reasons", "Reservation failure reasons", figures.failure_reasons_by_day
)
OVERSELLS = Chart(
    "orders-oversells", "Oversells by channel", figures.oversells_by_channel, wide=True
)
OVERSOLD_SKUS = Chart("orders-oversold-skus", "Oversold SKUs", figures.oversold_skus)
EXCEPTION_RATE = Chart(
    "orders-exception-rate", "Order exceptions by channel", figures.order_exception_rate_by_channel
)
OPEN_EXCEPTIONS = Table(
    "orders-open-exceptions",
    "Open order exceptions (oversells, unsourced failed reservations, stalled lines), "
    "highest impact first",
    linked(partial(exception_queue, workflow="order")),
    {
        "impact_rank": "rank",
        "exception_type": "exception",
        "location_id": "location",
        "sku": "SKU",
        "reference_id": "order line",
        "age_h": "age (h)",
        "units": "units",
        "value_at_cost": "value at cost",
        "detail": "detail",
    },
    link="case_href",  # each row opens its case's timeline
)
