"""Chart shapes several pages draw: bars or lines per category (`by_category`), the p50-to-p95
dumbbell and the empty state of a KPI chart. Series are coloured by
`theme.category_colours`, the group column naming the category (channel, exception_type, …)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import plotly.graph_objects as go
import polars as pl

from .filters import UNKNOWN
from .theme import (
    CATEGORY_COLOURS,
    GRID,
    HEIGHT,
    base_figure,
    category_colours,
    counted,
    empty_figure,
)

if TYPE_CHECKING:
    from .kpi_queries import KpiValues


def place_legend(figure: go.Figure, entries: int) -> None:
    """Few entries fit in a row above the plot; many go in a column on the right."""
    if entries > 5:
        figure.update_layout(
            legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"}
        )


def unknown_note(locations: Sequence) -> str:
    """What an "unknown" location on a chart means, to append to its subtitle ("" when the
    chart shows none): the events recorded none, so no location filter can pick them."""
    if UNKNOWN not in locations:
        return ""
    return " · unknown: no location recorded (no location filter picks these)"


def ranked_keys(frame: pl.DataFrame, key: str, measure: str, top: int | None = None) -> list:
    """The values of `key` by their total `measure`, largest first (ties by key), the first
    `top` of them."""
    totals = (
        frame.group_by(key)
        .agg(pl.col(measure).sum())
        .sort([measure, key], descending=[True, False])
    )
    return totals[key].head(top).to_list() if top else totals[key].to_list()


def _series(
    frame: pl.DataFrame, group: str, order: Sequence[str] | None = None
) -> list[tuple[str, str, pl.DataFrame]]:
    """(name, colour, rows) per value of the `group` column, sorted unless `order` is given."""
    names = list(order or sorted({str(v) for v in frame[group].to_list()}))
    colours = category_colours(group, names)
    return [
        (name, colours[name], frame.filter(pl.col(group).cast(pl.String) == name)) for name in names
    ]


def by_category(
    frame: pl.DataFrame,
    x: str,
    y: str,
    group: str,
    title: str,
    subtitle: str | None = None,
    *,
    lines: bool = False,
    y_title: str = "",
    y_format: str | None = None,
    horizontal: bool = False,
    order: Sequence[str] | None = None,
) -> go.Figure:
    """One series per value of the `group` column, in its category's colour: stacked bars
    (horizontal ones: `y` along the x axis), or with `lines`, lines with markers along `x`."""
    figure = base_figure(title, subtitle)
    series = _series(frame, group, order)
    for name, colour, part in series:
        if lines:
            part = part.sort(x)
            figure.add_scatter(
                name=name,
                x=part[x].to_list(),
                y=part[y].to_list(),
                mode="lines+markers",
                marker={"size": 5},
                line={"color": colour},
            )
        elif not part.is_empty():
            values, keys = part[y].to_list(), part[x].to_list()
            figure.add_bar(
                name=name,
                x=values if horizontal else keys,
                y=keys if horizontal else values,
                orientation="h" if horizontal else "v",
                marker={"color": colour},
            )
    place_legend(figure, len(series))
    if lines:
        figure.update_yaxes(title_text=y_title, tickformat=y_format, rangemode="tozero")
    else:
        figure.update_layout(barmode="stack")
        (figure.update_xaxes if horizontal else figure.update_yaxes)(title_text=y_title)
    return figure


def dumbbell(
    frame: pl.DataFrame,
    label: str,
    low: str,
    high: str,
    title: str,
    subtitle: str,
    unit: str,
    volume: str,
    noun: str,
) -> go.Figure:
    """p50 to p95 per row (slowest at the top): where the typical and the tail case sit;
    the hover counts the row's `volume` column in `noun`s."""
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
    volume_text = [counted(v, noun) for v in rows[volume].to_list()]
    for name, column in (("p50", low), ("p95", high)):
        figure.add_scatter(
            name=name,
            x=rows[column].to_list(),
            y=labels,
            mode="markers",
            marker={"size": 11, "color": CATEGORY_COLOURS["percentile"][name]},
            customdata=volume_text,
            hovertemplate=f"%{{y}}<br>{name} %{{x:.1f}} {unit}<br>%{{customdata}}<extra></extra>",
        )
    figure.update_xaxes(title_text=unit, showgrid=True, gridcolor=GRID, rangemode="tozero")
    figure.update_yaxes(type="category", showgrid=False)
    return figure


def unanswered(
    values: KpiValues, title: str, label: str, message: str = "No data for the selected filters."
) -> go.Figure | None:
    """The empty figure of a KPI chart whose filters cannot be answered (saying why) or
    that has no rows; None when there is something to draw."""
    if values.unavailable:
        return empty_figure(title, f"{label}: {values.unavailable}.")
    if values.frame.is_empty():
        return empty_figure(title, message)
    return None
