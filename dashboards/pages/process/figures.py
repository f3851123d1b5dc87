"""The directly-follows graph drawn as a process map: activities in columns, curves sized
by how often one step follows another."""

from __future__ import annotations

import math
from collections.abc import Callable

import plotly.graph_objects as go
import polars as pl

from dashboards.theme import (
    ACCENT,
    BAD,
    INK,
    base_figure,
    counted,
    empty_figure,
    format_duration,
    with_alpha,
)

from .labels import EDGE_FONT, MAP_HEIGHT, NODE_FONT, NODE_SIZE, Curve, Placement, Screen, bezier

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


ARCH_CLEARANCE = 0.45  # how far above a skipped node an arch passes (its label is ~0.3 high)


def _edge_width(count: float, largest: float) -> float:
    return 1.5 + 6 * math.log1p(count) / math.log1p(max(largest, 1))


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
    if x1 - x0 > 1:  # high enough to pass above the skipped columns' nodes and their labels
        span = x1 - x0
        top = max(y0, y1) + ARCH_CLEARANCE
        lift = max(
            (top - (1 - t) ** 2 * y0 - t**2 * y1) / (2 * t * (1 - t))
            for t in (k / span for k in range(1, round(span)))
        )
        return ((x0 + x1) / 2, max(max(y0, y1) + 0.3 * span, lift)), False
    return ((x0 + x1) / 2, (y0 + y1) / 2), False


def process_map(
    edges: pl.DataFrame, workflow: str, step_link: Callable[[str, str], str] | None = None
) -> go.Figure:
    """The directly-follows graph: curves sized by how often one step follows another,
    labelled with the count and the median time between them; every name and label sits
    where no curve crosses it (`labels.Placement`). With `step_link` (from, to -> URL) each
    label carries the link to the cases that took its step, in its point id (a click opens
    it)."""
    title = f"How do {workflow} cases flow?"
    if edges.is_empty():
        return empty_figure(title, f"No {workflow} transitions in the snapshot.", height=MAP_HEIGHT)
    positions = process_layout(edges)
    busiest = edges.sort("transition_count", descending=True).row(0, named=True)
    figure = base_figure(
        title,
        f"Line width = transitions; label = count · median time. "
        f"Busiest: {busiest['from_activity']} → "
        f"{busiest['to_activity']} ({busiest['transition_count']:,})",
        height=MAP_HEIGHT,
    )
    largest = edges["transition_count"].max()
    moves = edges.filter(pl.col("from_activity") != pl.col("to_activity"))
    curves, backwards = [], []
    for edge in moves.iter_rows(named=True):
        start, end = positions[edge["from_activity"]], positions[edge["to_activity"]]
        control, backward = edge_control_point(start, end)
        curves.append(Curve(start, control, end, _edge_width(edge["transition_count"], largest)))
        backwards.append(backward)
    xs = [x for x, _ in positions.values()]
    # the curves' furthest points (their middles) set the height
    extent_y = [y for _, y in positions.values()] + [
        bezier(c.start, c.control, c.end, 0.5)[1] for c in curves
    ]
    x_range = (min(xs) - 0.45, max(xs) + 0.45)
    y_range = (min(extent_y) - 0.35, max(extent_y) + 0.45)
    placement = Placement(Screen(x_range, y_range), curves, positions.values())
    names = _node_names(edges, positions)
    sides = {node: placement.node_name(positions[node], text) for node, text in names.items()}
    labels: dict[str, list] = {
        "x": [], "y": [], "text": [], "hover": [], "at": [], "size": [], "ids": []
    }  # fmt: skip
    for edge, curve, backward in zip(moves.iter_rows(named=True), curves, backwards, strict=True):
        colour = with_alpha(BAD if backward else ACCENT, 0.5)
        _draw_curve(figure, curve, colour)
        text = f"{edge['transition_count']:,} · {format_duration(edge['p50_duration_s'])}"
        size = curve.width + 8  # the label's point: its text keeps clear of the stroke
        (x, y), side = placement.edge_label(curve, text, size)
        labels["x"].append(x)
        labels["y"].append(y)
        labels["at"].append(side)
        labels["size"].append(size)
        labels["text"].append(text)
        if step_link:
            labels["ids"].append(step_link(edge["from_activity"], edge["to_activity"]))
        labels["hover"].append(
            f"{edge['from_activity']} → {edge['to_activity']}<br>"
            f"{counted(edge['transition_count'], 'transition')} in "
            f"{counted(edge['case_count'] or 0, 'case')}<br>"
            f"median {format_duration(edge['p50_duration_s'])} · "
            f"p95 {format_duration(edge['p95_duration_s'])}"
            + ("<br>click: the cases that took this step" if step_link else "")
        )
    figure.add_scatter(
        x=labels["x"],
        y=labels["y"],
        mode="markers+text",
        text=labels["text"],
        name="transitions",
        textposition=labels["at"],
        marker={"size": labels["size"], "color": "rgba(0,0,0,0)", "line": {"width": 0}},
        textfont={"size": EDGE_FONT, "color": INK},
        hovertext=labels["hover"],
        hoverinfo="text",
        ids=labels["ids"] or None,
        showlegend=False,
    )
    repeats = _repeats(edges)
    figure.add_scatter(
        x=[positions[n][0] for n in names],
        y=[positions[n][1] for n in names],
        mode="markers+text",
        name="activities",
        showlegend=False,
        text=list(names.values()),
        textposition=[sides[n] for n in names],
        textfont={"size": NODE_FONT},
        marker={
            "size": NODE_SIZE,
            "symbol": "square",
            "color": "white",
            "line": {"color": INK, "width": 2},
        },
        hovertext=[
            n + (f"<br>repeats directly {repeats[n]:,}×" if n in repeats else "") for n in names
        ],
        hoverinfo="text",
    )
    figure.update_xaxes(visible=False, range=list(x_range))
    figure.update_yaxes(visible=False, range=list(y_range))
    return figure


def _repeats(edges: pl.DataFrame) -> dict[str, int]:
    """Activity -> how often it directly follows itself."""
    loops = edges.filter(pl.col("from_activity") == pl.col("to_activity"))
    return dict(
        zip(loops["from_activity"].to_list(), loops["transition_count"].to_list(), strict=True)
    )


def _node_names(edges: pl.DataFrame, positions: dict) -> dict[str, str]:
    """Activity -> its name on the map, with how often it repeats directly."""
    repeats = _repeats(edges)
    return {
        n: f"<b>{n.replace('_', ' ')}</b>" + (f"<br>↻ {repeats[n]:,}" if n in repeats else "")
        for n in positions
    }


def _draw_curve(figure: go.Figure, curve: Curve, colour: str) -> None:
    """The curve below everything, and its arrowhead: a short arrow along the curve's last
    stretch, stopping at the node."""
    (x0, y0), (cx, cy), (x1, y1) = curve.start, curve.control, curve.end
    figure.add_shape(
        type="path",
        layer="below",
        line={"color": colour, "width": curve.width},
        path=f"M {x0},{y0} Q {cx},{cy} {x1},{y1}",
    )
    tail = bezier(curve.start, curve.control, curve.end, 0.8)
    figure.add_annotation(
        x=x1,
        y=y1,
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
        arrowwidth=min(curve.width, 3),
        arrowcolor=colour,
        standoff=13,
    )
