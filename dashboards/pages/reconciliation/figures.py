"""Reconciliation: how long stock moves take to reach the ERP, which feeds leave them
unposted, and how old the open backlog is."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboards.charts import by_category, unanswered
from dashboards.kpi_queries import KpiValues
from dashboards.theme import ACCENT, GRID, base_figure, counted, empty_figure

POSTING_LAG = "ERP posting lag"
NO_POSTINGS = "No ERP postings in the selected dates."


def posting_lag_trend(lags: KpiValues) -> go.Figure:
    title = "How long until stock moves are posted to the ERP?"
    if empty := unanswered(lags, title, POSTING_LAG, NO_POSTINGS):
        return empty
    long = lags.frame.with_columns(percentile=pl.col("kpi_name").str.extract(r"_(p\d+)_"))
    return by_category(
        long,
        "kpi_date",
        "value",
        "percentile",
        title,
        "Posting lag in hours (erp_posted − the move), by day of the move",
        lines=True,
        y_title="hours",
    )


def posting_lag_by_event_type(lags: KpiValues) -> go.Figure:
    title = "Which stock moves post slowest?"
    if empty := unanswered(lags, title, POSTING_LAG, NO_POSTINGS):
        return empty
    rows = lags.frame.sort("value")
    figure = base_figure(
        title, "p95 posting lag in hours by event type, over the postings of the selected dates"
    )
    figure.add_bar(
        x=rows["value"].to_list(),
        y=rows["event_type"].to_list(),
        orientation="h",
        marker={"color": ACCENT},
        customdata=[counted(n, "posting") for n in rows["observations"].to_list()],
        hovertemplate="%{y}: p95 %{x:.1f} h<br>%{customdata}<extra></extra>",
        showlegend=False,
    )
    figure.update_xaxes(title_text="hours", showgrid=True, gridcolor=GRID)
    return figure


def unreconciled_by_day(unposted: KpiValues) -> go.Figure:
    title = "Which feeds leave stock moves unposted?"
    total = unposted.totals.get("unreconciled_events")
    everything_posted = "Every stock move in the selected dates reached the ERP."
    if empty := unanswered(unposted, title, "Unposted stock moves", everything_posted):
        return empty
    if not total:
        return empty_figure(title, everything_posted)
    return by_category(
        unposted.frame,
        "kpi_date",
        "value",
        "source_system",
        title,
        f"{counted(total, 'move')} not posted within 24 h, by day of the move and source",
        y_title="unposted moves",
    )


def backlog_aging(frame: pl.DataFrame) -> go.Figure:
    title = "How old is the unreconciled backlog?"
    if frame.is_empty():
        return empty_figure(title, "No unreconciled stock moves are open.")
    order = frame.sort("bucket_order")["age_bucket"].unique(maintain_order=True).to_list()
    figure = by_category(
        frame,
        "age_bucket",
        "value_at_cost",
        "event_type",
        title,
        f"{counted(frame['events'].sum(), 'open move')} worth "
        f"{frame['value_at_cost'].sum():,.0f} at cost, by age",
        y_title="value at cost",
    )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return figure
