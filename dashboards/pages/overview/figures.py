"""The Overview's own figure: a KPI tile's sparkline."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboards.kpis import Kpi
from dashboards.theme import ACCENT, FONT, MUTED, add_note, with_alpha


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
        fillcolor=with_alpha(ACCENT, 0.08),
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
        add_note(figure, note, size=11)
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
