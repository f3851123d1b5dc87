"""Overview: the headline KPIs for the selected period, their trend and their change."""

from __future__ import annotations

import polars as pl
from dash import html

from .. import figures, queries
from ..filters import Filters
from ..kpis import (
    HEADLINE_KPIS,
    KPIS,
    aggregate_kpi,
    daily_kpi,
    format_change,
    format_value,
    split_at_period_start,
)
from ..layout import Page, chart, grid, kpi_tile, missing_table, section
from ..queries import SnapshotData


def kpi_tiles(data: SnapshotData, filters: Filters) -> list:
    history = queries.kpi_history(data, HEADLINE_KPIS, filters)
    if history is None:
        return [missing_table("overview-kpis", "Headline KPIs", "kpi_daily", wide=True)]
    rows, cuts = history
    tiles = []
    for name in HEADLINE_KPIS:
        kpi = KPIS[name]
        current, previous = split_at_period_start(rows.filter(pl.col("kpi_name") == name), filters)
        value = aggregate_kpi(kpi, current)
        before = aggregate_kpi(kpi, previous)
        change, tone = format_change(kpi, value, before)
        notes = [cuts[name].note] if cuts[name].note != "all" else []
        if kpi.kind == "percentile":
            notes.append("mean of daily values")
        tiles.append(
            kpi_tile(
                name.replace("_", "-"),
                kpi.label,
                format_value(kpi, value),
                change,
                tone,
                " · ".join(notes),
                figures.kpi_sparkline(daily_kpi(kpi, current), kpi),
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
        queries.orders_by_day(data, filters),
        figures.order_exception_rate_by_channel,
        table="fct_order_lines",
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
    note="Each tile compares the selected dates with the equally long period just before. "
    "KPIs are cut by one dimension at a time, so a location filter wins over a channel "
    "filter; the note under a tile says which rows it uses.",
)
