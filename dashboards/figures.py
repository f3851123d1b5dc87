"""Pure figure builders: query results (polars frames) in, plotly figures out.

Every builder handles an empty frame by returning a figure that says there is nothing to
show, so a page never breaks on a quiet day or a narrow filter. Titles say what the chart
answers; the subtitle gives the headline number or how to read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import polars as pl

from .kpis import Kpi

if TYPE_CHECKING:
    from .queries import KpiValues

FONT = "Inter, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
ACCENT = "#2563eb"
BAD = "#b91c1c"
WARN = "#d97706"
PALETTE = (
    "#2563eb",
    "#f59e0b",
    "#10b981",
    "#8b5cf6",
    "#ef4444",
    "#06b6d4",
    "#ec4899",
    "#84cc16",
    "#64748b",
    "#a16207",
)
HEIGHT = 340
TOP_N = 15


# -- shared scaffolding -------------------------------------------------------------------


def base_figure(title: str, subtitle: str | None = None, height: int = HEIGHT) -> go.Figure:
    """An empty figure in the dashboards' style."""
    text = f"<b>{title}</b>" + (
        f"<br><span style='font-size:12px;color:{MUTED}'>{subtitle}</span>" if subtitle else ""
    )
    figure = go.Figure()
    figure.update_layout(
        title={
            "text": text,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.97,
            "yanchor": "top",
            "font": {"size": 15, "color": INK},
        },
        font={"family": FONT, "size": 12, "color": INK},
        colorway=list(PALETTE),
        height=height,
        margin={"l": 56, "r": 20, "t": 72 if subtitle else 52, "b": 44},
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "right",
            "x": 1,
            "font": {"size": 11},
        },
        hoverlabel={"font": {"family": FONT}},
        bargap=0.2,
    )
    figure.update_xaxes(showgrid=False, linecolor=GRID, ticks="outside", tickcolor=GRID)
    figure.update_yaxes(gridcolor=GRID, zerolinecolor=GRID)
    return figure


def empty_figure(
    title: str, message: str = "No data for the selected filters.", height: int = HEIGHT
) -> go.Figure:
    figure = base_figure(title, height=height)
    figure.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 13, "color": MUTED},
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def has_data_traces(figure: go.Figure) -> bool:
    return len(figure.data) > 0


def format_duration(seconds: float | None) -> str:
    """A duration a planner reads at a glance: 45 s, 12 min, 3.4 h, 2.1 d."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _place_legend(figure: go.Figure, entries: int) -> None:
    """Few entries fit in a row above the plot; many go in a column on the right."""
    if entries > 5:
        figure.update_layout(
            legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"}
        )


def _stacked_bars(
    frame: pl.DataFrame,
    x: str,
    y: str,
    group: str,
    title: str,
    subtitle: str | None = None,
    *,
    y_title: str = "",
    horizontal: bool = False,
    order: Sequence[str] | None = None,
) -> go.Figure:
    """One bar trace per group value, stacked."""
    figure = base_figure(title, subtitle)
    groups = order or sorted({str(v) for v in frame[group].to_list()})
    for name in groups:
        part = frame.filter(pl.col(group).cast(pl.String) == name)
        if part.is_empty():
            continue
        values, keys = part[y].to_list(), part[x].to_list()
        figure.add_bar(
            name=name,
            x=values if horizontal else keys,
            y=keys if horizontal else values,
            orientation="h" if horizontal else "v",
        )
    figure.update_layout(barmode="stack")
    _place_legend(figure, len(groups))
    (figure.update_xaxes if horizontal else figure.update_yaxes)(title_text=y_title)
    return figure


def _lines_by_group(
    frame: pl.DataFrame,
    x: str,
    y: str,
    group: str,
    title: str,
    subtitle: str | None = None,
    *,
    y_title: str = "",
    y_format: str | None = None,
) -> go.Figure:
    figure = base_figure(title, subtitle)
    names = sorted({str(v) for v in frame[group].to_list()})
    for name in names:
        part = frame.filter(pl.col(group).cast(pl.String) == name).sort(x)
        figure.add_scatter(
            name=name,
            x=part[x].to_list(),
            y=part[y].to_list(),
            mode="lines+markers",
            marker={"size": 5},
        )
    _place_legend(figure, len(names))
    figure.update_yaxes(title_text=y_title, tickformat=y_format, rangemode="tozero")
    return figure


def _dumbbell(
    frame: pl.DataFrame,
    label: str,
    low: str,
    high: str,
    title: str,
    subtitle: str,
    unit: str,
    volume: str,
) -> go.Figure:
    """p50 to p95 per row (slowest at the top): where the typical and the tail case sit."""
    figure = base_figure(title, subtitle, height=max(HEIGHT, 28 * frame.height + 110))
    rows = frame.reverse()  # plotly draws the first category at the bottom
    labels = rows[label].to_list()
    for row in rows.iter_rows(named=True):
        figure.add_scatter(
            x=[row[low], row[high]],
            y=[row[label]] * 2,
            mode="lines",
            line={"color": GRID, "width": 6},
            showlegend=False,
            hoverinfo="skip",
        )
    volume_text = [f"{v:,} {volume}" for v in rows[volume].to_list()]
    figure.add_scatter(
        name="p50",
        x=rows[low].to_list(),
        y=labels,
        mode="markers",
        marker={"size": 11, "color": ACCENT},
        customdata=volume_text,
        hovertemplate=f"%{{y}}<br>p50 %{{x:.1f}} {unit}<br>%{{customdata}}<extra></extra>",
    )
    figure.add_scatter(
        name="p95",
        x=rows[high].to_list(),
        y=labels,
        mode="markers",
        marker={"size": 11, "color": BAD},
        customdata=volume_text,
        hovertemplate=f"%{{y}}<br>p95 %{{x:.1f}} {unit}<br>%{{customdata}}<extra></extra>",
    )
    figure.update_xaxes(title_text=unit, showgrid=True, gridcolor=GRID, rangemode="tozero")
    figure.update_yaxes(type="category", showgrid=False)
    return figure


# -- overview -----------------------------------------------------------------------------


def kpi_sparkline(
    daily: pl.DataFrame, kpi: Kpi, period_value: float | None, note: str | None = None
) -> go.Figure:
    """A tiny trend of one KPI's daily values (no axes: the tile carries the numbers), with
    the window's value (the tile's) as a dotted line; `note` replaces an unavailable trend."""
    figure = go.Figure()
    rows = daily.drop_nulls(["kpi_date", "value"]).sort("kpi_date")
    number = "%{y:.1%}" if kpi.unit == "ratio" else "%{y:,.1f}"
    figure.add_scatter(
        name="daily",
        x=rows["kpi_date"].to_list(),
        y=rows["value"].to_list(),
        mode="lines",
        line={"color": ACCENT, "width": 2},
        fill="tozeroy",
        fillcolor="rgba(37, 99, 235, 0.08)",
        hovertemplate=f"%{{x|%b %d}}: {number}<extra></extra>",
    )
    if period_value is not None and rows.height:
        days = rows["kpi_date"].to_list()
        figure.add_scatter(
            name="period",
            x=[days[0], days[-1]],
            y=[period_value, period_value],
            mode="lines",
            line={"color": MUTED, "width": 1, "dash": "dot"},
            hovertemplate=f"selected dates: {number}<extra></extra>",
        )
    if note:
        figure.add_annotation(
            text=note,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font={"size": 11, "color": MUTED},
        )
    figure.update_layout(
        height=56,
        margin={"l": 0, "r": 0, "t": 4, "b": 0},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
        font={"family": FONT},
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, rangemode="tozero")
    return figure


def exception_value_by_workflow(summary: pl.DataFrame) -> go.Figure:
    title = "Where is the open exception value?"
    if summary.is_empty():
        return empty_figure(title, "No open exceptions for the selected locations.")
    total = summary["value_at_cost"].sum()
    count = summary["exceptions"].sum()
    figure = _stacked_bars(
        summary,
        "workflow",
        "value_at_cost",
        "exception_type",
        title,
        f"{count:,} open exceptions worth {total:,.0f} at cost, by workflow",
        y_title="value at cost",
        horizontal=True,
    )
    figure.update_yaxes(categoryorder="total ascending")
    return figure


def exception_value_by_location(frame: pl.DataFrame) -> go.Figure:
    title = "Which locations hold the most open exception value?"
    if frame.is_empty():
        return empty_figure(title, "No open exceptions for the selected locations.")
    order = (
        frame.group_by("location_id")
        .agg(pl.col("value_at_cost").sum())
        .sort(["value_at_cost", "location_id"], descending=[True, False])["location_id"]
        .to_list()
    )
    figure = _stacked_bars(
        frame,
        "location_id",
        "value_at_cost",
        "exception_type",
        title,
        f"Value at cost of open exceptions, top {len(order)} locations",
        y_title="value at cost",
    )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return figure


# -- orders & reservations ----------------------------------------------------------------

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
    p50 = percentiles.value("reservation_latency_p50_s")
    p95 = percentiles.value("reservation_latency_p95_s")
    labels = [label for _, label in LATENCY_BUCKETS]
    bucketed = (
        latencies.with_columns(
            bucket=pl.col("latency_s").map_elements(latency_bucket, return_dtype=pl.String)
        )
        .group_by("bucket", "channel")
        .agg(reservations=pl.len())
    )
    figure = _stacked_bars(
        bucketed,
        "bucket",
        "reservations",
        "channel",
        title,
        f"p50 {format_duration(p50)} · p95 {format_duration(p95)} · "
        f"{latencies.height:,} confirmed reservations",
        y_title="reservations",
    )
    figure.update_xaxes(categoryorder="array", categoryarray=labels, title_text="time to confirm")
    return figure


def failure_reasons_by_day(reasons: pl.DataFrame) -> go.Figure:
    title = "Why do reservations fail?"
    if reasons.is_empty() or not reasons["failures"].sum():
        return empty_figure(title, "No failed reservations in the selected dates.")
    totals = (
        reasons.group_by("reason_code")
        .agg(pl.col("failures").sum())
        .sort("failures", descending=True)
    )
    top = totals.row(0, named=True)
    return _stacked_bars(
        reasons,
        "kpi_date",
        "failures",
        "reason_code",
        title,
        f"Failed reservations per day by reason · most: {top['reason_code']} "
        f"({top['failures']:,.0f}) · all channels and locations",
        y_title="failed reservations",
        order=totals["reason_code"].to_list(),
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
    subtitle = f"{total:,} oversold lines ({total / max(lines, 1):.2%} of {lines:,})"
    if bursts:
        subtitle += (
            f" · {len(bursts)} burst days (≥2× the median day, shaded) hold "
            f"{in_bursts / total:.0%} of them"
        )
    figure = _stacked_bars(
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
    totals = (
        frame.group_by("sku")
        .agg(pl.col("oversells").sum())
        .sort(["oversells", "sku"], descending=[True, False])
    )
    skus = totals["sku"].to_list()
    cells = {
        (row["sku"], row["order_date"]): row["oversells"] for row in frame.iter_rows(named=True)
    }
    figure = base_figure(
        title,
        f"Oversold lines of the {len(skus)} most oversold SKUs per day · "
        "blocks across many SKUs on the same days suggest a promotion",
        height=max(HEIGHT, 18 * len(skus) + 140),
    )
    figure.add_heatmap(
        z=[[cells.get((sku, d), 0) for d in days] for sku in skus],
        x=days,
        y=skus,
        colorscale=[[0, "#f8fafc"], [0.3, "#fde68a"], [1, BAD]],
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
    if rates.unavailable:
        return empty_figure(title, f"Orders with an exception: {rates.unavailable}.")
    if rates.frame.is_empty():
        return empty_figure(title)
    overall = rates.totals.get("order_exception_rate")
    overall_text = "–" if overall is None else f"{overall:.1%}"
    return _lines_by_group(
        rates.frame,
        "kpi_date",
        "value",
        "channel",
        title,
        f"Share of orders with ≥1 exception per day · overall {overall_text}",
        y_title="orders with an exception",
        y_format=".0%",
    )


# -- transfers ----------------------------------------------------------------------------


def _lane_labels(lanes: pl.DataFrame) -> pl.DataFrame:
    return lanes.with_columns(lane=pl.col("origin") + " → " + pl.col("destination"))


def lane_accuracy(lanes: pl.DataFrame, top: int = TOP_N, min_lines: int = 3) -> go.Figure:
    title = "Which lanes arrive short?"
    if lanes.is_empty():
        return empty_figure(title, "No completed transfers for the selected filters.")
    overall = lanes["in_full"].sum() / lanes["lines"].sum()
    eligible = lanes.filter(pl.col("lines") >= min_lines)
    eligible = eligible if not eligible.is_empty() else lanes
    worst = _lane_labels(eligible).sort(["accuracy", "lines"], descending=[False, True]).head(top)
    figure = base_figure(
        title,
        f"Share of lines received in full, worst {worst.height} lanes "
        f"(≥{min_lines} lines) · overall {overall:.1%}",
        height=max(HEIGHT, 26 * worst.height + 110),
    )
    rows = worst.reverse()
    figure.add_bar(
        x=rows["accuracy"].to_list(),
        y=rows["lane"].to_list(),
        orientation="h",
        marker={"color": [BAD if a < overall else ACCENT for a in rows["accuracy"].to_list()]},
        text=[
            f"{a:.0%} of {n}"
            for a, n in zip(rows["accuracy"].to_list(), rows["lines"].to_list(), strict=True)
        ],
        textposition="auto",
        customdata=rows["short_units"].to_list(),
        hovertemplate="%{y}<br>%{x:.1%} in full<br>%{customdata:,} units short<extra></extra>",
        showlegend=False,
    )
    figure.update_xaxes(tickformat=".0%", range=[0, 1], showgrid=True, gridcolor=GRID)
    figure.update_yaxes(type="category", showgrid=False)
    return figure


def lane_cycle_time(lanes: pl.DataFrame, top: int = TOP_N) -> go.Figure:
    title = "Which lanes take longest?"
    if lanes.is_empty():
        return empty_figure(title, "No completed transfers for the selected filters.")
    slowest = _lane_labels(lanes).sort("cycle_p95_h", descending=True, nulls_last=True).head(top)
    return _dumbbell(
        slowest,
        "lane",
        "cycle_p50_h",
        "cycle_p95_h",
        title,
        f"Shipped → received, hours: p50 (blue) to p95 (red), slowest {top} lanes",
        "h",
        "lines",
    )


def accuracy_by_origin(daily: pl.DataFrame, top: int = 6) -> go.Figure:
    """Daily accuracy of the `top` busiest shipping locations; the rest pooled as one line."""
    title = "Is one shipping location getting worse?"
    if daily.is_empty():
        return empty_figure(title, "No completed transfers for the selected filters.")
    busiest = (
        daily.group_by("origin")
        .agg(pl.col("lines").sum())
        .sort(["lines", "origin"], descending=[True, False])
        .head(top)["origin"]
        .to_list()
    )
    pooled = (
        daily.with_columns(
            origin=pl.when(pl.col("origin").is_in(busiest))
            .then(pl.col("origin"))
            .otherwise(pl.lit("other origins")),
            in_full=pl.col("accuracy") * pl.col("lines"),
        )
        .group_by("shipment_date", "origin")
        .agg(pl.col("lines").sum(), pl.col("in_full").sum())
        .with_columns(accuracy=pl.col("in_full") / pl.col("lines"))
    )
    return _lines_by_group(
        pooled,
        "shipment_date",
        "accuracy",
        "origin",
        title,
        f"Daily share of lines received in full by origin (day of shipment), "
        f"the {len(busiest)} busiest origins",
        y_title="received in full",
        y_format=".0%",
    )


# -- returns ------------------------------------------------------------------------------


def disposition_by_location(frame: pl.DataFrame, top: int = TOP_N) -> go.Figure:
    title = "Where do returns wait longest for inspection?"
    if frame.is_empty():
        return empty_figure(title, "No inspected returns for the selected filters.")
    slowest = frame.sort("p95_h", descending=True, nulls_last=True).head(top)
    return _dumbbell(
        slowest,
        "location_id",
        "p50_h",
        "p95_h",
        title,
        f"Received → inspected, hours: p50 (blue) to p95 (red), slowest {top} locations",
        "h",
        "returns",
    )


def disposition_trend(frame: pl.DataFrame) -> go.Figure:
    title = "Is return disposition getting faster?"
    if frame.is_empty():
        return empty_figure(title, "No inspected returns for the selected filters.")
    long = frame.unpivot(
        index="receipt_date", on=["p50_h", "p95_h"], variable_name="percentile", value_name="hours"
    ).with_columns(pl.col("percentile").str.head(3))
    return _lines_by_group(
        long,
        "receipt_date",
        "hours",
        "percentile",
        title,
        "Received → inspected, hours, by day of receipt",
        y_title="hours",
    )


def stalled_by_location(stalled: pl.DataFrame, top: int = TOP_N) -> go.Figure:
    title = "Where are returns stuck?"
    if stalled.is_empty():
        return empty_figure(title, "No stalled returns for the selected locations.")
    counts = stalled.group_by(pl.col("location_id").fill_null("unknown"), "stage").agg(
        cases=pl.len(), value_at_cost=pl.col("value_at_cost").sum()
    )
    worst = (
        counts.group_by("location_id")
        .agg(pl.col("cases").sum())
        .sort(["cases", "location_id"], descending=[True, False])
        .head(top)
    )
    counts = counts.join(worst.select("location_id"), on="location_id")
    figure = _stacked_bars(
        counts,
        "location_id",
        "cases",
        "stage",
        title,
        f"{stalled.height:,} returns past their SLA with no disposition, "
        "by location and the stage they sit in",
        y_title="stalled returns",
    )
    figure.update_xaxes(
        type="category", categoryorder="array", categoryarray=worst["location_id"].to_list()
    )
    return figure


# -- reconciliation -----------------------------------------------------------------------


def posting_lag_trend(lags: KpiValues) -> go.Figure:
    title = "How long until stock moves are posted to the ERP?"
    if lags.unavailable:
        return empty_figure(title, f"ERP posting lag: {lags.unavailable}.")
    if lags.frame.is_empty():
        return empty_figure(title, "No ERP postings in the selected dates.")
    long = lags.frame.with_columns(percentile=pl.col("kpi_name").str.extract(r"_(p\d+)_"))
    return _lines_by_group(
        long,
        "kpi_date",
        "value",
        "percentile",
        title,
        "Posting lag in hours (erp_posted − the move), by day of the move",
        y_title="hours",
    )


def posting_lag_by_event_type(lags: KpiValues) -> go.Figure:
    title = "Which stock moves post slowest?"
    if lags.unavailable:
        return empty_figure(title, f"ERP posting lag: {lags.unavailable}.")
    if lags.frame.is_empty():
        return empty_figure(title, "No ERP postings in the selected dates.")
    rows = lags.frame.sort("value")
    figure = base_figure(
        title, "p95 posting lag in hours by event type, over the postings of the selected dates"
    )
    figure.add_bar(
        x=rows["value"].to_list(),
        y=rows["event_type"].to_list(),
        orientation="h",
        marker={"color": ACCENT},
        customdata=rows["observations"].to_list(),
        hovertemplate="%{y}: p95 %{x:.1f} h<br>%{customdata:,.0f} postings<extra></extra>",
        showlegend=False,
    )
    figure.update_xaxes(title_text="hours", showgrid=True, gridcolor=GRID)
    return figure


def unreconciled_by_day(unposted: KpiValues) -> go.Figure:
    title = "Which feeds leave stock moves unposted?"
    if unposted.unavailable:
        return empty_figure(title, f"Unposted stock moves: {unposted.unavailable}.")
    total = unposted.totals.get("unreconciled_events")
    if unposted.frame.is_empty() or not total:
        return empty_figure(title, "Every stock move in the selected dates reached the ERP.")
    return _stacked_bars(
        unposted.frame,
        "kpi_date",
        "value",
        "source_system",
        title,
        f"{total:,.0f} moves not posted within 24 h, by day of the move and source",
        y_title="unposted moves",
    )


def backlog_aging(frame: pl.DataFrame) -> go.Figure:
    title = "How old is the unreconciled backlog?"
    if frame.is_empty():
        return empty_figure(title, "No unreconciled stock moves are open.")
    order = frame.sort("bucket_order")["age_bucket"].unique(maintain_order=True).to_list()
    figure = _stacked_bars(
        frame,
        "age_bucket",
        "value_at_cost",
        "event_type",
        title,
        f"{frame['events'].sum():,} open moves worth "
        f"{frame['value_at_cost'].sum():,.0f} at cost, by age",
        y_title="value at cost",
    )
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return figure


# -- integrations -------------------------------------------------------------------------


def failure_rate_with_disruptions(rates: pl.DataFrame, disruptions: pl.DataFrame) -> go.Figure:
    title = "Are integrations failing, and how fast do they recover?"
    if rates.is_empty():
        return empty_figure(title, "No API calls in the selected dates.")
    recovered = (
        disruptions.filter(pl.col("is_recovered")) if not disruptions.is_empty() else disruptions
    )
    subtitle = f"Daily failed-call rate by integration · {disruptions.height} disruptions shaded"
    if not recovered.is_empty():
        subtitle += f", median recovery {recovered['recovery_time_min'].median():.0f} min"
    # A day's rate sits at noon so it lines up with the disruptions' clock times.
    at_noon = rates.with_columns(pl.col("kpi_date").cast(pl.Datetime) + pl.duration(hours=12))
    figure = _lines_by_group(
        at_noon,
        "kpi_date",
        "failure_rate",
        "integration",
        title,
        subtitle,
        y_title="failed calls",
        y_format=".1%",
    )
    for row in disruptions.iter_rows(named=True):
        end = row["recovered_at"] or row["last_failed_at"]
        label = (
            f"{row['integration']}: {row['recovery_time_min']:.0f} min"
            if row["is_recovered"]
            else f"{row['integration']}: not recovered"
        )
        figure.add_vrect(
            x0=row["started_at"], x1=end, fillcolor=BAD, opacity=0.18, line_width=0, layer="below"
        )
        figure.add_vline(x=row["started_at"], line={"color": BAD, "width": 1, "dash": "dot"})
        figure.add_annotation(
            x=row["started_at"],
            y=1,
            yref="paper",
            text=label,
            showarrow=False,
            textangle=-90,
            xanchor="right",
            yanchor="top",
            font={"size": 10, "color": BAD},
        )
    return figure


def disruption_recovery(disruptions: pl.DataFrame) -> go.Figure:
    title = "How long did each disruption last?"
    if disruptions.is_empty():
        return empty_figure(title, "No integration disruptions in the selected dates.")
    rows = disruptions.with_columns(
        minutes=pl.coalesce(
            "recovery_time_min",
            (pl.col("last_failed_at") - pl.col("started_at")).dt.total_seconds() / 60,
        )
    )
    figure = base_figure(
        title,
        "Minutes from the first failed call to the first success "
        "(hatched: still failing at the end of the data)",
    )
    for integration in sorted(set(rows["integration"].to_list())):
        part = rows.filter(pl.col("integration") == integration)
        figure.add_bar(
            name=integration,
            x=part["started_at"].to_list(),
            y=part["minutes"].to_list(),
            marker={
                "pattern": {"shape": ["" if r else "/" for r in part["is_recovered"].to_list()]}
            },
            customdata=part["failed_calls"].to_list(),
            hovertemplate="%{x|%b %d %H:%M}: %{y:.0f} min<br>%{customdata} failed "
            "calls<extra></extra>",
        )
    figure.update_yaxes(title_text="minutes")
    return figure


def feed_lag(frame: pl.DataFrame) -> go.Figure:
    title = "Which feeds arrive late?"
    if frame.is_empty():
        return empty_figure(title, "No events in the selected dates.")
    return _lines_by_group(
        frame,
        "kpi_date",
        "lag_p95_min",
        "source_system",
        title,
        "p95 minutes from occurrence to publication, by source system",
        y_title="minutes",
    )


# -- process map --------------------------------------------------------------------------

# Where the activities of SPEC 4.1 sit: (column, row). The happy path runs left to right on
# row 0; exits and detours sit below it. Activities of an imported log that are not listed
# are laid out by longest forward path after first appearance.
ACTIVITY_POSITIONS = {
    "order_placed": (0, 0),
    "reservation_requested": (1, 0),
    "reservation_confirmed": (2, 0),
    "reservation_failed": (2, -1),
    "order_fulfilled": (3, 0),
    "order_cancelled": (3, -1),
    "transfer_requested": (0, 0),
    "transfer_approved": (1, 0),
    "transfer_shipped": (2, 0),
    "transfer_received": (3, 0),
    "return_initiated": (0, 0),
    "return_received": (1, 0),
    "return_inspected": (2, 0),
    "return_restocked": (3, 0),
    "refund_issued": (2, -1),
    "po_created": (0, 0),
    "po_acknowledged": (1, 0),
    "po_received": (2, 0),
}


def process_layout(edges: pl.DataFrame) -> dict[str, tuple[float, float]]:
    """Node -> (x, y). Known activities take their fixed place; other logs get columns by
    longest forward path (forward = to a node first seen later), spread vertically."""
    nodes = list(dict.fromkeys(edges["from_activity"].to_list() + edges["to_activity"].to_list()))
    if all(node in ACTIVITY_POSITIONS for node in nodes):
        return {node: tuple(map(float, ACTIVITY_POSITIONS[node])) for node in nodes}
    order = {node: i for i, node in enumerate(nodes)}
    forward = [
        (a, b)
        for a, b in zip(
            edges["from_activity"].to_list(), edges["to_activity"].to_list(), strict=True
        )
        if order[a] < order[b]
    ]
    column = dict.fromkeys(nodes, 0)
    for node in nodes:  # first-appearance order is a topological order of `forward`
        for a, b in forward:
            if a == node:
                column[b] = max(column[b], column[a] + 1)
    positions = {}
    for x in set(column.values()):
        members = [n for n in nodes if column[n] == x]
        for i, node in enumerate(members):
            positions[node] = (float(x), -float(i))
    return positions


def _edge_width(count: float, largest: float) -> float:
    return 1.5 + 6 * math.log1p(count) / math.log1p(max(largest, 1))


def _bezier(
    p0: tuple[float, float], control: tuple[float, float], p1: tuple[float, float], t: float
) -> tuple[float, float]:
    return tuple(
        (1 - t) ** 2 * a + 2 * (1 - t) * t * c + t**2 * b
        for a, c, b in zip(p0, control, p1, strict=True)
    )


def edge_control_point(
    start: tuple[float, float], end: tuple[float, float]
) -> tuple[tuple[float, float], bool]:
    """The curve's control point and whether the edge loops back. Neighbouring columns get a
    straight line, edges that skip columns arch above, edges that loop back dip below."""
    (x0, y0), (x1, y1) = start, end
    if x1 == x0:  # to a detour below (bends right) or back up from it (bends left)
        back = y1 > y0
        return (x0 + (-0.25 if back else 0.25), (y0 + y1) / 2), back
    if x1 < x0:
        return ((x0 + x1) / 2, min(y0, y1) - 0.4 - 0.1 * (x0 - x1)), True
    if x1 - x0 > 1:
        return ((x0 + x1) / 2, max(y0, y1) + 0.3 * (x1 - x0)), False
    return ((x0 + x1) / 2, (y0 + y1) / 2), False


def process_map(edges: pl.DataFrame, workflow: str) -> go.Figure:
    """The directly-follows graph: curves sized by how often one step follows another,
    labelled with the count and the median time between them."""
    title = f"How do {workflow} cases flow?"
    if edges.is_empty():
        return empty_figure(title, f"No {workflow} transitions in the snapshot.", height=460)
    positions = process_layout(edges)
    busiest = edges.sort("transition_count", descending=True).row(0, named=True)
    figure = base_figure(
        title,
        f"Line width = transitions; label = count · median time. "
        f"Busiest: {busiest['from_activity']} → "
        f"{busiest['to_activity']} ({busiest['transition_count']:,})",
        height=460,
    )
    largest = edges["transition_count"].max()
    labels: dict[str, list] = {"x": [], "y": [], "text": [], "hover": []}
    extent_y = [y for _, y in positions.values()]
    for edge in edges.filter(pl.col("from_activity") != pl.col("to_activity")).iter_rows(
        named=True
    ):
        start, end = positions[edge["from_activity"]], positions[edge["to_activity"]]
        control, backward = edge_control_point(start, end)
        extent_y.append(_bezier(start, control, end, 0.5)[1])  # the curve's furthest point
        color = "rgba(185, 28, 28, 0.5)" if backward else "rgba(37, 99, 235, 0.5)"
        width = _edge_width(edge["transition_count"], largest)
        figure.add_shape(
            type="path",
            layer="below",
            line={"color": color, "width": width},
            path=f"M {start[0]},{start[1]} Q {control[0]},{control[1]} {end[0]},{end[1]}",
        )
        # The arrowhead: a short arrow along the curve's last stretch, stopping at the node.
        tail = _bezier(start, control, end, 0.8)
        figure.add_annotation(
            x=end[0],
            y=end[1],
            ax=tail[0],
            ay=tail[1],
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            text="",
            showarrow=True,
            arrowhead=2,
            arrowsize=1.2,
            arrowwidth=min(width, 3),
            arrowcolor=color,
            standoff=13,
        )
        middle = _bezier(start, control, end, 0.5)
        labels["x"].append(middle[0])
        labels["y"].append(middle[1])
        labels["text"].append(
            f"{edge['transition_count']:,} · {format_duration(edge['p50_duration_s'])}"
        )
        labels["hover"].append(
            f"{edge['from_activity']} → {edge['to_activity']}<br>"
            f"{edge['transition_count']:,} transitions in {edge['case_count'] or 0:,} cases<br>"
            f"median {format_duration(edge['p50_duration_s'])} · "
            f"p95 {format_duration(edge['p95_duration_s'])}"
        )
    figure.add_scatter(
        x=labels["x"],
        y=labels["y"],
        mode="markers+text",
        text=labels["text"],
        name="transitions",
        textposition="middle center",
        marker={"size": 1, "color": "rgba(0,0,0,0)"},
        textfont={"size": 11, "color": INK},
        hovertext=labels["hover"],
        hoverinfo="text",
        showlegend=False,
    )
    repeats = {
        row["from_activity"]: row["transition_count"]
        for row in edges.filter(pl.col("from_activity") == pl.col("to_activity")).iter_rows(
            named=True
        )
    }
    names = list(positions)
    figure.add_scatter(
        x=[positions[n][0] for n in names],
        y=[positions[n][1] for n in names],
        mode="markers+text",
        name="activities",
        showlegend=False,
        text=[
            f"<b>{n.replace('_', ' ')}</b>" + (f"<br>↻ {repeats[n]:,}" if n in repeats else "")
            for n in names
        ],
        textposition="top center",
        textfont={"size": 12},
        marker={
            "size": 18,
            "symbol": "square",
            "color": "white",
            "line": {"color": INK, "width": 2},
        },
        hovertext=[
            n + (f"<br>repeats directly {repeats[n]:,}×" if n in repeats else "") for n in names
        ],
        hoverinfo="text",
    )
    xs = [x for x, _ in positions.values()]
    figure.update_xaxes(visible=False, range=[min(xs) - 0.45, max(xs) + 0.45])
    figure.update_yaxes(visible=False, range=[min(extent_y) - 0.35, max(extent_y) + 0.45])
    return figure


# -- location risk ------------------------------------------------------------------------


def risk_ranking(risk: pl.DataFrame, top: int = 20) -> go.Figure:
    title = "Which locations should be counted first?"
    if risk.is_empty():
        return empty_figure(title, "No scored locations for the selected filters.")
    rows = risk.sort("risk_rank").head(top)
    high = risk.filter(pl.col("risk_score") >= 0.9).height
    figure = base_figure(
        title,
        f"Risk score: percentile rank among locations (0.9 = riskier than ~90 %), "
        f"top {rows.height} · {high} locations ≥ 0.9",
        height=max(HEIGHT, 24 * rows.height + 110),
    )
    rows = rows.reverse().with_columns(
        pl.col("region").fill_null("unknown"), pl.col("reason").fill_null("")
    )
    for region in sorted(set(rows["region"].to_list())):
        part = rows.filter(pl.col("region") == region)
        figure.add_bar(
            name=region,
            x=part["risk_score"].to_list(),
            y=part["location_id"].to_list(),
            orientation="h",
            customdata=part["reason"].to_list(),
            hovertemplate="%{y}: %{x:.2f}<br>%{customdata}<extra></extra>",
        )
    figure.update_xaxes(range=[0, 1], showgrid=True, gridcolor=GRID, title_text="risk score")
    figure.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=rows["location_id"].to_list(),
        showgrid=False,
    )
    figure.update_layout(barmode="overlay", legend_title_text="region")
    return figure


def risk_drivers(risk: pl.DataFrame, features: Sequence[str], top: int = TOP_N) -> go.Figure:
    title = "What drives the riskiest locations?"
    features = [f for f in features if f in risk.columns]
    if risk.is_empty() or not features:
        return empty_figure(title, "The risk table has no driver features to show.")
    # Percentile among all shown locations makes features on different scales comparable.
    # Ties share the lowest rank, so a feature most locations have at zero stays pale.
    ranked = risk.with_columns(
        [
            ((pl.col(f).rank("min") - 1) / pl.max_horizontal(pl.col(f).count() - 1, 1)).alias(
                f"{f}__pct"
            )
            for f in features
        ]
    )
    rows = ranked.sort("risk_rank").head(top)
    figure = base_figure(
        title,
        "Cell colour = percentile of the feature among the locations "
        "shown on this page; hover for the value",
        height=max(HEIGHT, 26 * rows.height + 150),
    )
    figure.add_heatmap(
        z=[[row[f"{f}__pct"] for f in features] for row in rows.iter_rows(named=True)],
        x=[f.replace("_", " ") for f in features],
        y=rows["location_id"].to_list(),
        customdata=[[row[f] for f in features] for row in rows.iter_rows(named=True)],
        colorscale=[[0, "#f8fafc"], [0.7, "#fde68a"], [1, BAD]],
        zmin=0,
        zmax=1,
        hovertemplate="%{y} · %{x}<br>value %{customdata:.3g}<br>percentile %{z:.0%}"
        "<extra></extra>",
        colorbar={"title": {"text": "percentile"}, "tickformat": ".0%", "thickness": 12},
    )
    figure.update_yaxes(autorange="reversed", type="category", showgrid=False)
    figure.update_xaxes(tickangle=-35, showgrid=False)
    figure.update_layout(margin={"b": 120})
    return figure


def risk_by_region(risk: pl.DataFrame, threshold: float = 0.9) -> go.Figure:
    title = "Which regions carry the most risk?"
    if risk.is_empty():
        return empty_figure(title, "No scored locations for the selected filters.")
    rows = risk.with_columns(pl.col("region").fill_null("unknown"))
    summary = (
        rows.group_by("region")
        .agg(high=(pl.col("risk_score") >= threshold).sum(), locations=pl.len())
        .sort("region")
    )
    figure = base_figure(
        title,
        f"Risk score of every location by region · above "
        f"{threshold:.1f}: "
        + ", ".join(
            f"{r['region']} {r['high']}/{r['locations']}" for r in summary.iter_rows(named=True)
        ),
    )
    for region in summary["region"].to_list():
        part = rows.filter(pl.col("region") == region)
        figure.add_box(
            name=region,
            y=part["risk_score"].to_list(),
            boxpoints="all",
            jitter=0.4,
            pointpos=0,
            text=part["location_id"].to_list(),
            hovertemplate="%{text}: %{y:.2f}<extra></extra>",
            showlegend=False,
        )
    figure.add_hline(y=threshold, line={"color": BAD, "dash": "dot", "width": 1})
    figure.update_yaxes(range=[0, 1.02], title_text="risk score")
    return figure


# -- cycle counts -------------------------------------------------------------------------


def cycle_count_status(requests: pl.DataFrame) -> go.Figure:
    title = "Where does the cycle-count queue stand?"
    if requests.is_empty():
        return empty_figure(title, "No cycle-count requests for the selected locations.")
    counts = requests.group_by("status").agg(requests=pl.len()).sort("requests", descending=True)
    figure = base_figure(title, f"{requests.height:,} requests by status")
    figure.add_bar(
        x=counts["status"].to_list(),
        y=counts["requests"].to_list(),
        marker={"color": ACCENT},
        text=counts["requests"].to_list(),
        textposition="auto",
        showlegend=False,
    )
    figure.update_yaxes(title_text="requests")
    return figure


def cycle_count_value_at_stake(requests: pl.DataFrame, top: int = 20) -> go.Figure:
    """Expected discrepancy value per request (the count's payoff), open ones first."""
    title = "Where is the most value at stake?"
    if requests.is_empty():
        return empty_figure(title, "No cycle-count requests for the selected locations.")
    rows = requests.with_columns(pl.col("expected_discrepancy_value").fill_null(0.0)).sort(
        "expected_discrepancy_value", descending=True
    )
    shown = rows.head(top)
    figure = base_figure(
        title,
        f"Expected discrepancy value at cost per request, top {shown.height} · total "
        f"{rows['expected_discrepancy_value'].sum():,.0f}",
        height=max(HEIGHT, 22 * shown.height + 110),
    )
    for status in sorted(set(shown["status"].to_list())):
        part = shown.filter(pl.col("status") == status).reverse()
        figure.add_bar(
            name=status,
            orientation="h",
            x=part["expected_discrepancy_value"].to_list(),
            y=[
                f"{r} · {loc}"
                for r, loc in zip(
                    part["request_id"].to_list(), part["location_id"].to_list(), strict=True
                )
            ],
            customdata=part["reason"].to_list(),
            hovertemplate="%{y}: %{x:,.0f}<br>%{customdata}<extra></extra>",
        )
    labels = [
        f"{r} · {loc}"
        for r, loc in zip(
            shown["request_id"].to_list(), shown["location_id"].to_list(), strict=True
        )
    ]
    figure.update_yaxes(type="category", categoryorder="array", categoryarray=labels[::-1])
    figure.update_xaxes(title_text="value at cost", showgrid=True, gridcolor=GRID)
    return figure


def cycle_count_results(requests: pl.DataFrame, top: int = 25) -> go.Figure:
    title = "Did the counts find what the risk model expected?"
    counted = (
        requests.filter(pl.col("counted_skus").fill_null(0) > 0)
        if "counted_skus" in requests.columns
        else requests.clear()
    )
    if counted.is_empty():
        return empty_figure(title, "No counts have come back for these requests yet.")
    rows = counted.sort("last_counted_at", descending=True).head(top)
    inaccurate = counted["inaccurate_skus"].sum()
    skus = counted["counted_skus"].sum()
    figure = base_figure(
        title,
        f"{counted.height} counted requests · {inaccurate:,} of {skus:,} "
        f"counted SKUs were off ({inaccurate / skus:.0%})",
    )
    labels = [
        f"{r} · {loc}"
        for r, loc in zip(rows["request_id"].to_list(), rows["location_id"].to_list(), strict=True)
    ]
    figure.add_bar(
        name="expected discrepancy value",
        x=labels,
        y=rows["expected_discrepancy_value"].to_list(),
        marker={"color": GRID},
    )
    figure.add_bar(
        name="found discrepancy value",
        x=labels,
        y=rows["found_discrepancy_value"].to_list(),
        marker={"color": BAD},
    )
    figure.update_layout(barmode="group")
    figure.update_yaxes(title_text="value at cost")
    figure.update_xaxes(type="category", tickangle=-30)
    return figure
