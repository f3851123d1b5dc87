"""What changed, drawn: exceptions opened against closed by kind, and how far each KPI's day
sits from its normal variation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import plotly.graph_objects as go
import polars as pl

from dashboards.components import plural
from dashboards.theme import BAD, GOOD, GRID, HEIGHT, MUTED, base_figure, empty_figure, with_alpha

TONE = {"worse": BAD, "better": GOOD, "flat": MUTED}


def exception_changes_by_type(summary: pl.DataFrame, compared: bool) -> go.Figure:
    """Opened to the right, closed to the left, per exception type."""
    title = "Which exceptions opened and closed since the previous run?"
    if not compared:
        return empty_figure(title, "No previous snapshot to compare with yet.")
    if summary.is_empty():
        return empty_figure(title, "No exception opened or closed since the previous run.")
    totals = {change: summary.filter(pl.col("change") == change) for change in ("opened", "closed")}
    subtitle = ", ".join(
        f"{plural(int(rows['exceptions'].sum()), 'exception')} {change} "
        f"({rows['value_at_cost'].sum():,.0f} at cost)"
        for change, rows in totals.items()
    )
    figure = base_figure(title, subtitle)
    for change, rows in totals.items():
        sign, colour = (1, BAD) if change == "opened" else (-1, GOOD)
        figure.add_bar(
            name=change,
            y=rows["exception_type"].to_list(),
            x=[sign * n for n in rows["exceptions"].to_list()],
            orientation="h",
            marker={"color": colour},
            customdata=rows["exceptions"].to_list(),
            hovertemplate=f"%{{y}}: %{{customdata}} {change}<extra></extra>",
        )
    figure.update_layout(barmode="relative")
    figure.update_xaxes(title_text="← closed · opened →", zeroline=True, zerolinecolor=MUTED)
    figure.update_yaxes(type="category", categoryorder="total ascending")
    return figure


def kpi_movements(
    movements: pl.DataFrame, day_cases: Callable[[str, date], str | None] | None = None
) -> go.Figure:
    """Each KPI's day in standard deviations of the days before, with the band of normal
    variation; KPIs whose baseline never varied have no such distance and are named below.
    With `day_cases` (KPI, day -> URL) each bar carries the link to the KPI's cases of the
    day it was judged on, in its point id (a click opens it)."""
    title = "Which KPIs moved beyond their normal variation?"
    placed = movements.filter(pl.col("z_score").is_not_null())
    left_constant = movements.filter(
        pl.col("z_score").is_null() & pl.col("is_moved").fill_null(False)
    )
    if movements.is_empty():
        return empty_figure(title, "No KPI has a value on the data horizon's day.")
    moved = movements.filter(pl.col("is_moved").fill_null(False))
    subtitle = f"{plural(moved.height, 'KPI')} moved, each on its latest settled day"
    if left_constant.height:
        subtitle += f"; left a baseline that never varied: {', '.join(left_constant['label'])}"
    if placed.is_empty():
        return empty_figure(title, subtitle)
    sigmas = float(placed["sigmas"][0])
    rows = placed.reverse()  # plotly draws the first category at the bottom
    figure = base_figure(title, subtitle, height=max(HEIGHT, 26 * rows.height + 120))
    figure.add_vrect(x0=-sigmas, x1=sigmas, fillcolor=with_alpha(MUTED, 0.1), line_width=0)
    colours = [
        TONE[direction] if is_moved else with_alpha(TONE[direction], 0.35)
        for direction, is_moved in zip(
            rows["direction"], rows["is_moved"].fill_null(False), strict=True
        )
    ]
    figure.add_bar(
        orientation="h",
        showlegend=False,
        y=rows["label"].to_list(),
        x=rows["z_score"].to_list(),
        customdata=rows["baseline_days"].to_list(),
        hovertemplate="%{y}: %{x:+.1f} sd from the mean of %{customdata} days<extra></extra>",
        marker={"color": colours},
        ids=[
            day_cases(kpi, day) or f"#{kpi}"  # a bar without a list still needs an id
            for kpi, day in zip(rows["kpi_name"], rows["kpi_date"], strict=True)
        ]
        if day_cases
        else None,
    )
    figure.update_xaxes(
        title_text=f"standard deviations from the baseline mean (normal: within ±{sigmas:g})",
        zeroline=True,
        zerolinecolor=GRID,
    )
    figure.update_yaxes(type="category")
    return figure
