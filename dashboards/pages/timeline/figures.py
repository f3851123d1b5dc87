"""A case's timeline: its events in time, one lane per source system, the wait before each
event written on the step that leads to it, the data horizon and the case's due time."""

from __future__ import annotations

from datetime import datetime

import plotly.graph_objects as go
import polars as pl

from dashboards.theme import (
    BAD,
    GRID,
    MUTED,
    base_figure,
    category_colours,
    empty_figure,
    format_duration,
)


def _vertical(figure: go.Figure, at: datetime, text: str, colour: str) -> None:
    figure.add_vline(x=at, line={"color": colour, "width": 1, "dash": "dot"})
    figure.add_annotation(
        x=at, y=1, yref="paper", text=text, showarrow=False, yanchor="bottom",
        font={"size": 11, "color": colour},
    )  # fmt: skip


def case_timeline(events: pl.DataFrame) -> go.Figure:
    """Events of one case (case_events, in order) across the systems that recorded them."""
    title = "What happened to this case, and where did it wait?"
    if events.is_empty():
        return empty_figure(title, "No events for this case in the snapshot.")
    first, last = events.row(0, named=True), events.row(-1, named=True)
    elapsed = (last["occurred_at"] - first["occurred_at"]).total_seconds()
    systems = list(dict.fromkeys(events["source_system"].fill_null("unknown").to_list()))
    figure = base_figure(
        title,
        f"{events.height} events over {format_duration(elapsed)} in {len(systems)} "
        f"system{'s' if len(systems) != 1 else ''}; the wait before each event on its step",
        height=max(300, 70 * len(systems) + 170),
    )
    lanes = events["source_system"].fill_null("unknown").to_list()
    times = events["occurred_at"].to_list()
    figure.add_scatter(
        x=times, y=lanes, mode="lines", line={"color": GRID, "width": 2, "shape": "hv"},
        hoverinfo="skip", showlegend=False,
    )  # fmt: skip
    colours = category_colours("source_system", systems)
    after = events["is_after_horizon"].fill_null(False).to_list()
    figure.add_scatter(
        name="events",
        x=times,
        y=lanes,
        mode="markers+text",
        text=events["event_type"].to_list(),
        textposition="top center",
        marker={
            "size": 13,
            "color": [
                "white" if late else colours[lane] for lane, late in zip(lanes, after, strict=True)
            ],
            "line": {"width": 2, "color": [colours[lane] for lane in lanes]},
        },
        customdata=[
            [row["location_id"] or "", format_duration(row["wait_since_previous_s"])]
            for row in events.iter_rows(named=True)
        ],
        hovertemplate="%{text}<br>%{x|%Y-%m-%d %H:%M:%S} · %{y}<br>"
        "at %{customdata[0]} · waited %{customdata[1]}<extra></extra>",
        showlegend=False,
    )
    rows = list(events.iter_rows(named=True))
    for before, row in zip(rows, rows[1:], strict=False):
        wait = row["wait_since_previous_s"]
        if wait:
            middle = before["occurred_at"] + (row["occurred_at"] - before["occurred_at"]) / 2
            figure.add_annotation(
                x=middle, y=before["source_system"] or "unknown", text=format_duration(wait),
                showarrow=False, yshift=-14, font={"size": 11, "color": MUTED},
            )  # fmt: skip
    if first["as_of"] is not None:
        _vertical(figure, first["as_of"], "data horizon", MUTED)
    if first["case_is_open"] and first["due_at"] is not None:
        _vertical(figure, first["due_at"], "due (SLA)", BAD)
    figure.update_yaxes(type="category", categoryorder="array", categoryarray=systems[::-1])
    figure.update_xaxes(showgrid=True, gridcolor=GRID)
    return figure
