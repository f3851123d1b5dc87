"""Orders and reservations: how fast reservations confirm, why they fail, which channels and
SKUs oversell and on which (burst) days."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta

import plotly.graph_objects as go
import polars as pl

from dashboards.charts import by_category, ranked_keys, unanswered
from dashboards.kpi_queries import KpiValues
from dashboards.theme import (
    HEIGHT,
    WARN,
    base_figure,
    counted,
    empty_figure,
    format_duration,
    heat_scale,
)

from .queries import LATENCY_PERCENTILES

LATENCY_BUCKETS = (
    (1, "≤1 s"),
    (2, "1–2 s"),
    (5, "2–5 s"),
    (10, "5–10 s"),
    (30, "10–30 s"),
    (60, "30–60 s"),
    (300, "1–5 min"),
    (1800, "5–30 min"),
    (math.inf, "> 30 min"),
)


def latency_bucket(seconds: float) -> str:
    for upper, label in LATENCY_BUCKETS:
        if seconds <= upper:
            return label
    return LATENCY_BUCKETS[-1][1]


def reservation_latency_histogram(latencies: pl.DataFrame, percentiles: KpiValues) -> go.Figure:
    """The confirmed reservations by latency bucket and channel; p50 and p95 are the KPIs'
    values over the same rows (the Overview tile's p95)."""
    title = "How long do reservations take to confirm?"
    if latencies.is_empty():
        return empty_figure(title, percentiles.unavailable or "No data for the selected filters.")
    p50, p95 = (percentiles.value(name) for name in LATENCY_PERCENTILES)
    labels = [label for _, label in LATENCY_BUCKETS]
    bucketed = (
        latencies.with_columns(
            bucket=pl.col("latency_s").map_elements(latency_bucket, return_dtype=pl.String)
        )
        .group_by("bucket", "channel")
        .agg(reservations=pl.len())
    )
    figure = by_category(
        bucketed,
        "bucket",
        "reservations",
        "channel",
        title,
        f"p50 {format_duration(p50)} · p95 {format_duration(p95)} · "
        f"{counted(latencies.height, 'confirmed reservation')}",
        y_title="reservations",
    )
    figure.update_xaxes(categoryorder="array", categoryarray=labels, title_text="time to confirm")
    return figure


def failure_reasons_by_day(reasons: pl.DataFrame) -> go.Figure:
    title = "Why do reservations fail?"
    if reasons.is_empty() or not reasons["failures"].sum():
        return empty_figure(title, "No failed reservations in the selected dates.")
    order = ranked_keys(reasons, "reason_code", "failures")
    most = reasons.filter(pl.col("reason_code") == order[0])["failures"].sum()
    return by_category(
        reasons,
        "kpi_date",
        "failures",
        "reason_code",
        title,
        f"Failed reservations per day by reason · most: {order[0]} ({most:,.0f}) · "
        "all channels and locations",
        y_title="failed reservations",
        order=order,
    )


def burst_days(orders: pl.DataFrame, factor: float = 2.0, minimum: int = 3) -> list:
    """Days with at least `factor` x the median daily oversells (and `minimum`): the
    footprint of promotions and stock-outs that hit many lines at once."""
    daily = orders.group_by("order_date").agg(pl.col("oversells").sum()).sort("order_date")
    if daily.is_empty():
        return []
    threshold = max(factor * daily["oversells"].median(), minimum)
    return daily.filter(pl.col("oversells") >= threshold)["order_date"].to_list()


def oversells_by_channel(orders: pl.DataFrame) -> go.Figure:
    """Oversells per day by channel; burst days (likely promotions) shaded."""
    title = "Which channels oversell, and when do bursts hit?"
    if orders.is_empty():
        return empty_figure(title)
    total = orders["oversells"].sum()
    lines = orders["order_lines"].sum()
    bursts = burst_days(orders)
    in_bursts = orders.filter(pl.col("order_date").is_in(bursts))["oversells"].sum()
    subtitle = f"{counted(total, 'oversold line')} ({total / max(lines, 1):.2%} of {lines:,})"
    if bursts:
        subtitle += (
            f" · {counted(len(bursts), 'burst day')} (≥2× the median day, shaded) hold "
            f"{in_bursts / total:.0%} of them"
        )
    figure = by_category(
        orders, "order_date", "oversells", "channel", title, subtitle, y_title="oversold lines"
    )
    for burst in bursts:
        noon = datetime.combine(burst, time(12))
        figure.add_vrect(
            x0=noon - timedelta(hours=24),
            x1=noon,
            fillcolor=WARN,
            opacity=0.12,
            line_width=0,
            layer="below",
        )
    return figure


def oversold_skus(frame: pl.DataFrame) -> go.Figure:
    """SKU x day heatmap of oversells: a promotion lights up a block of SKUs on the same
    days, a single broken SKU lights up a row."""
    title = "Which SKUs oversell together?"
    if frame.is_empty():
        return empty_figure(title, "No oversold lines for the selected filters.")
    days = sorted(set(frame["order_date"].to_list()))
    skus = ranked_keys(frame, "sku", "oversells")
    cells = {
        (row["sku"], row["order_date"]): row["oversells"] for row in frame.iter_rows(named=True)
    }
    figure = base_figure(
        title,
        f"Oversold lines of the {counted(len(skus), 'most oversold SKU')} per day · "
        "blocks across many SKUs on the same days suggest a promotion",
        height=max(HEIGHT, 18 * len(skus) + 140),
    )
    figure.add_heatmap(
        z=[[cells.get((sku, d), 0) for d in days] for sku in skus],
        x=days,
        y=skus,
        colorscale=heat_scale(0.3),
        hovertemplate="%{y} · %{x|%b %d}: %{z} oversold<extra></extra>",
        colorbar={"title": {"text": "lines"}, "thickness": 12},
        xgap=1,
        ygap=1,
    )
    figure.update_yaxes(autorange="reversed", type="category", showgrid=False)
    return figure


def order_exception_rate_by_channel(rates: KpiValues) -> go.Figure:
    """order_exception_rate per day and channel; the subtitle's overall rate is the
    window's (the Overview tile's)."""
    title = "Which channels' orders hit exceptions?"
    if empty := unanswered(rates, title, "Orders with an exception"):
        return empty
    overall = rates.totals.get("order_exception_rate")
    overall_text = "–" if overall is None else f"{overall:.1%}"
    return by_category(
        rates.frame,
        "kpi_date",
        "value",
        "channel",
        title,
        f"Share of orders with ≥1 exception per day · overall {overall_text}",
        lines=True,
        y_title="orders with an exception",
        y_format=".0%",
    )
