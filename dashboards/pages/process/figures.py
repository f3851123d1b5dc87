"""The directly-follows graph drawn as a process map: activities in columns, curves sized
by how often one step follows another."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

from dashboards.theme import (
    ACCENT,
    BAD,
    INK,
    base_figure,
    empty_figure,
    format_duration,
    with_alpha,
)

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
        color = with_alpha(BAD if backward else ACCENT, 0.5)
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
