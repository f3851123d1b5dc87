"""The Overview: one tile per headline KPI, then where to look next (the exceptions and the
orders pages' headline charts)."""

from __future__ import annotations

from dash import html

from dashboards.components import Chart, grid, kpi_tile, missing_table, section
from dashboards.data import Missing, SnapshotData
from dashboards.filters import Filters
from dashboards.kpi_queries import headline, kpi_values
from dashboards.kpis import format_value
from dashboards.links import Drill, page_link
from dashboards.pages.exceptions import figures as exception_figures
from dashboards.pages.exceptions import queries as exception_queries
from dashboards.pages.orders import figures as order_figures
from dashboards.pages.orders import queries as order_queries

from . import figures


def kpi_tiles(data: SnapshotData, filters: Filters) -> html.Div:
    """One tile per headline KPI of the catalog: its value over the selected dates (complete
    days only), the change vs the period before and a sparkline of its daily values, all
    from `kpi_queries.kpi_values` on the same rows."""
    values = headline(data, filters)
    if isinstance(values, Missing):
        return missing_table("overview-kpis", "Headline KPIs", values, wide=True)
    daily = kpi_values(data, values.kpis, filters, ("kpi_date",))
    tiles = []
    for kpi in values.kpis:
        value = values.current.value(kpi.name)
        cut = values.current.cuts[kpi.name]
        sparkline = figures.kpi_sparkline(daily.of(kpi.name), kpi, value, cut.unavailable)
        slug = kpi.name.replace("_", "-")
        page, cases = EXPLAINED_BY.get(kpi.name, (None, None))
        tiles.append(
            kpi_tile(
                slug,
                kpi.label,
                format_value(kpi, value),
                *values.change(kpi),
                cut.note,
                sparkline,
                page_href=page and page_link(f"/{page}", filters),
                cases_href=cases and cases.link(filters),
            )
        )
    return html.Div(tiles, className="tiles", id="overview-kpis")


def render(data: SnapshotData, filters: Filters) -> list:
    exceptions = EXCEPTIONS(exception_queries.exception_summary(data, filters), filters=filters)
    rates = order_queries.order_exception_rate_by_channel(data, filters)
    rates = ORDER_EXCEPTIONS(rates, filters=filters)
    return [
        section("Headline KPIs for the selected period", kpi_tiles(data, filters)),
        section("Where to look next", grid(exceptions, rates)),
    ]


# The charts and tables `render` fills in.
EXCEPTIONS = Chart(
    "overview-exceptions",
    "Open exceptions",
    exception_figures.exception_value_by_workflow,
    drill=Drill("open-exceptions", along="workflow", series="exception_type"),
)
ORDER_EXCEPTIONS = Chart(
    "overview-order-exceptions",
    "Order exceptions",
    order_figures.order_exception_rate_by_channel,
    drill=Drill("exception-orders", along="day", series="channel"),
)

# Per KPI of the catalog: the page that explains it (its slug) and the cases behind its
# numerator (None where the KPI is a duration or a state the cases do not make).
_UNPOSTED = Drill("open-exceptions", (("exception_type", "unreconciled_event"),))
_STALLED_RETURNS = Drill("stalled-cases", (("workflow", "return"),))
EXPLAINED_BY: dict[str, tuple[str, Drill | None]] = {
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
