"""Orders & reservations: reservation latency, failure reasons, oversells and promotions."""

from __future__ import annotations

import polars as pl

from .. import figures, queries
from ..filters import Filters
from ..layout import Column, Page, chart, grid, section, table
from ..queries import SnapshotData

ORDER_EXCEPTION_COLUMNS = (
    Column("impact_rank", "rank", "numeric"),
    Column("exception_type", "exception"),
    Column("location_id", "location"),
    Column("sku", "SKU"),
    Column("reference_id", "order line"),
    Column("age_h", "age (h)", "numeric"),
    Column("units", "units", "numeric"),
    Column("value_at_cost", "value at cost", "money"),
    Column("detail", "detail"),
)


def render(data: SnapshotData, filters: Filters) -> list:
    orders = queries.orders_by_day(data, filters)
    open_exceptions = queries.exception_queue(data, filters)
    exceptions_table = table(
        "orders-open-exceptions",
        None if open_exceptions is None else open_exceptions.filter(pl.col("workflow") == "order"),
        ORDER_EXCEPTION_COLUMNS,
        "Open order exceptions (oversells, unsourced failed reservations, stalled lines), "
        "highest impact first",
        source="exception_queue",
    )
    return [
        section(
            "Reservations",
            grid(
                chart(
                    "orders-latency",
                    (
                        queries.reservation_latencies(data, filters),
                        queries.reservation_latency_percentiles(data, filters),
                    ),
                    figures.reservation_latency_histogram,
                    table="kpi_observations",
                    title="Reservation latency",
                ),
                chart(
                    "orders-failure-reasons",
                    queries.reservation_failure_reasons(data, filters),
                    figures.failure_reasons_by_day,
                    table="kpi_daily",
                    title="Reservation failure reasons",
                ),
            ),
        ),
        section(
            "Oversells and promotions",
            grid(
                chart(
                    "orders-oversells",
                    orders,
                    figures.oversells_by_channel,
                    table="fct_order_lines",
                    title="Oversells by channel",
                    wide=True,
                ),
                chart(
                    "orders-oversold-skus",
                    queries.oversells_by_sku_day(data, filters),
                    figures.oversold_skus,
                    table="fct_order_lines",
                    title="Oversold SKUs",
                ),
                chart(
                    "orders-exception-rate",
                    queries.order_exception_rate_by_channel(data, filters),
                    figures.order_exception_rate_by_channel,
                    table="kpi_daily",
                    title="Order exceptions by channel",
                ),
            ),
        ),
        section("Work list", exceptions_table),
    ]


PAGE = Page(
    slug="orders",
    title="Orders & reservations",
    heading="Orders & reservations",
    question="How fast do reservations confirm, why do they fail, and where do we oversell?",
    applies=("dates", "channel", "location"),
    render=render,
    note="Promotions are not flagged in the data: they show as burst days of oversells "
    "(shaded) and as blocks of SKUs overselling on the same days. Failure reasons are "
    "reported for all channels and locations.",
)
