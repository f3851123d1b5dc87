"""Integration health: failed-call rates with the disruptions shaded, how long each
disruption lasted, and which feeds arrive late."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboards.charts import by_category
from dashboards.theme import BAD, base_figure, category_colours, counted, empty_figure


def failure_rate_with_disruptions(rates: pl.DataFrame, disruptions: pl.DataFrame) -> go.Figure:
    title = "Are integrations failing, and how fast do they recover?"
    if rates.is_empty():
        return empty_figure(title, "No API calls in the selected dates.")
    recovered = (
        disruptions.filter(pl.col("is_recovered")) if not disruptions.is_empty() else disruptions
    )
    subtitle = (
        f"Daily failed-call rate by integration · {counted(disruptions.height, 'disruption')} "
        "shaded"
    )
    if not recovered.is_empty():
        subtitle += f", median recovery {recovered['recovery_time_min'].median():.0f} min"
    # A day's rate sits at noon so it lines up with the disruptions' clock times.
    at_noon = rates.with_columns(pl.col("kpi_date").cast(pl.Datetime) + pl.duration(hours=12))
    figure = by_category(
        at_noon,
        "kpi_date",
        "failure_rate",
        "integration",
        title,
        subtitle,
        lines=True,
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
    integrations = sorted(set(rows["integration"].to_list()))
    colours = category_colours("integration", integrations)
    for integration in integrations:
        part = rows.filter(pl.col("integration") == integration)
        figure.add_bar(
            name=integration,
            x=part["started_at"].to_list(),
            y=part["minutes"].to_list(),
            marker={
                "color": colours[integration],
                "pattern": {"shape": ["" if r else "/" for r in part["is_recovered"].to_list()]},
            },
            customdata=[counted(n, "failed call") for n in part["failed_calls"].to_list()],
            hovertemplate="%{x|%b %d %H:%M}: %{y:.0f} min<br>%{customdata}<extra></extra>",
        )
    figure.update_yaxes(title_text="minutes")
    return figure


def feed_lag(frame: pl.DataFrame) -> go.Figure:
    title = "Which feeds arrive late?"
    if frame.is_empty():
        return empty_figure(title, "No events in the selected dates.")
    return by_category(
        frame,
        "kpi_date",
        "lag_p95_min",
        "source_system",
        title,
        "p95 minutes from occurrence to publication, by source system",
        lines=True,
        y_title="minutes",
    )
