"""The Overview: one tile per headline KPI, then where to look next (the exceptions and the
orders pages' headline charts)."""

from __future__ import annotations

from dash import html

from dashboards.components import Chart, grid, kpi_tile, missing_table, section
from dashboards.data import Missing, SnapshotData
from dashboards.drills import KPI_EXPLAINED_BY
from dashboards.filters import Filters
from dashboards.kpi_queries import headline, kpi_values
from dashboards.kpis import format_value
from dashboards.links import page_link
from dashboards.pages.changes.alerts import alert_banner
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
        page, cases = KPI_EXPLAINED_BY.get(kpi.name, (None, None))
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
        alert_banner(data),
        section("Headline KPIs for the selected period", kpi_tiles(data, filters)),
        section("Where to look next", grid(exceptions, rates)),
    ]


# The charts and tables `render` fills in.
EXCEPTIONS = Chart(
    "overview-exceptions", "Open exceptions", exception_figures.exception_value_by_workflow
)
ORDER_EXCEPTIONS = Chart(
    "overview-order-exceptions", "Order exceptions", order_figures.order_exception_rate_by_channel
)
