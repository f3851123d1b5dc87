"""Overview: the headline KPIs for the selected period, their trend and their change."""

from __future__ import annotations

from dash import html

from .. import figures, queries
from ..filters import Filters
from ..kpis import format_change, format_value
from ..layout import Page, chart, grid, kpi_tile, missing_table, section
from ..queries import SnapshotData


def kpi_tiles(data: SnapshotData, filters: Filters) -> list:
    """One tile per headline KPI of the catalog: its value over the selected dates (complete
    days only), the change vs the period before and a sparkline of its daily values, all
    from `queries.kpi_values` on the same rows."""
    headline = queries.headline_kpis(data)
    current = None if headline is None else queries.kpi_values(data, headline, filters)
    if current is None:
        table = "kpi_catalog" if headline is None else "kpi_daily"
        return [missing_table("overview-kpis", "Headline KPIs", table, wide=True)]
    previous_period = filters.previous_period()
    previous = previous_period and queries.kpi_values(data, headline, previous_period)
    daily = queries.kpi_values(data, headline, filters, ("kpi_date",))
    tiles = []
    for kpi in headline:
        value = current.value(kpi.name)
        before = previous.value(kpi.name) if previous else None
        change, tone = format_change(kpi, value, before)
        cut = current.cuts[kpi.name]
        tiles.append(
            kpi_tile(
                kpi.name.replace("_", "-"),
                kpi.label,
                format_value(kpi, value),
                change,
                tone,
                cut.note,
                figures.kpi_sparkline(daily.of(kpi.name), kpi, value, cut.unavailable),
            )
        )
    return [html.Div(tiles, className="tiles", id="overview-kpis")]


def render(data: SnapshotData, filters: Filters) -> list:
    exceptions = chart(
        "overview-exceptions",
        queries.exception_summary(data, filters),
        figures.exception_value_by_workflow,
        table="exception_queue",
        title="Open exceptions",
    )
    exception_rate = chart(
        "overview-order-exceptions",
        queries.order_exception_rate_by_channel(data, filters),
        figures.order_exception_rate_by_channel,
        table="kpi_daily",
        title="Order exceptions",
    )
    return [
        section("Headline KPIs for the selected period", *kpi_tiles(data, filters)),
        section("Where to look next", grid(exceptions, exception_rate)),
    ]


PAGE = Page(
    slug="overview",
    title="Overview",
    heading="Inventory accuracy at a glance",
    question="Are the workflows that keep stock accurate getting better or worse?",
    applies=("dates", "channel", "location"),
    render=render,
    note="Each tile compares the selected dates with the equally long period just before, "
    "over complete days only (up to the data horizon). A KPI that is not reported by a "
    "selected filter says so instead of showing a number for other rows; the note under a "
    "tile says which rows it uses.",
)
