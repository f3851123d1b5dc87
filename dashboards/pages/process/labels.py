"""Where the process map's text goes: each activity's name and each transition's label takes
the first of its candidate places whose box touches no curve, no arrowhead, no node and no
text placed before it.

The map is drawn by plotly in the browser, so the boxes are estimated in the pixels of its
plot area on a 1,440-pixel-wide page (`PLOT_PIXELS`, text widths from the font size); the
browser test measures the real boxes (tests/test_dashboards_browser_fixes.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, bottom, right, top (pixels, y up)

MAP_HEIGHT = 520  # the figure's height; its plot area on a 1,440-pixel-wide page:
PLOT_PIXELS = (1300, MAP_HEIGHT - 72 - 44)  # minus theme.base_figure's margins
EDGE_FONT, NODE_FONT = 11, 12  # pixels, as the figure sets them
CHAR_WIDTH = 0.55  # of the font size: Inter / Helvetica digits and lower case, with room
MARGIN = 3.0  # pixels kept free around a box
SAMPLES = 80  # points along a curve checked against a box
ARROWHEAD = 4.0  # how much wider than its stroke a curve's arrowhead (its last fifth) reaches
NODE_SIZE = 18  # the node markers' size, pixels
# Where along a curve its label may sit, most preferred first (0 = start, 1 = end).
ALONG = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78)
# A node's name: above it first, then below, then in the corners, then beside it.
NODE_SIDES = (
    "top center",
    "bottom center",
    "top right",
    "top left",
    "bottom right",
    "bottom left",
    "middle right",
    "middle left",
)


def bezier(start: Point, control: Point, end: Point, t: float) -> Point:
    return tuple(  # type: ignore[return-value]
        (1 - t) ** 2 * a + 2 * (1 - t) * t * c + t**2 * b
        for a, c, b in zip(start, control, end, strict=True)
    )


def _tangent(start: Point, control: Point, end: Point, t: float) -> Point:
    return tuple(  # type: ignore[return-value]
        2 * (1 - t) * (c - a) + 2 * t * (b - c) for a, c, b in zip(start, control, end, strict=True)
    )


def side_of(direction: Point, level: float = 0.05) -> str:
    """The plotly textposition whose text lies in `direction` from its point ("top right" for
    up and to the right); a direction this close to an axis keeps the text centred on it."""
    dx, dy = direction
    size = math.hypot(dx, dy) or 1.0
    vertical = "top" if dy > level * size else "bottom" if dy < -level * size else "middle"
    horizontal = "right" if dx > level * size else "left" if dx < -level * size else "center"
    return f"{vertical} {horizontal}"


def text_size(text: str, font: float) -> tuple[float, float]:
    """(width, height) in pixels of plotly text (lines split at <br>, tags not drawn)."""
    lines = [line.replace("<b>", "").replace("</b>", "") for line in text.split("<br>")]
    return max(len(line) for line in lines) * font * CHAR_WIDTH, len(lines) * font * 1.3


def text_offset(marker_size: float) -> float:
    """How far plotly sets text from its point's marker (plotly.js Drawing.textPointPosition:
    the marker's radius / 0.8 + 1)."""
    return marker_size / 2 / 0.8 + 1


def text_box(point: Point, side: str, size: tuple[float, float], offset: float) -> Box:
    """The box of text of `size` placed at `side` of `point` (pixels), `offset` away."""
    (x, y), (width, height) = point, size
    vertical, horizontal = side.split()
    left = {"left": x - offset - width, "center": x - width / 2, "right": x + offset}[horizontal]
    bottom = {"bottom": y - offset - height, "middle": y - height / 2, "top": y + offset}[vertical]
    return left, bottom, left + width, bottom + height


@dataclass(frozen=True)
class Screen:
    """Data coordinates -> pixels of the plot area (y up)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]

    @property
    def scale(self) -> Point:
        """Pixels per data unit along x and y."""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        return PLOT_PIXELS[0] / (x1 - x0), PLOT_PIXELS[1] / (y1 - y0)

    def __call__(self, point: Point) -> Point:
        (sx, sy), x0, y0 = self.scale, self.x_range[0], self.y_range[0]
        return (point[0] - x0) * sx, (point[1] - y0) * sy


@dataclass(frozen=True)
class Curve:
    start: Point
    control: Point
    end: Point
    width: float  # the stroke, pixels


class Placement:
    """The map's text placed one by one, each clear of the curves, the nodes and the text
    placed before it."""

    def __init__(self, screen: Screen, curves: Sequence[Curve], nodes: Iterable[Point]):
        self.screen = screen
        # points along each curve with the distance text keeps from them; the arrowhead
        # (the last fifth, as drawn) is wider than the stroke
        self._points = [
            (
                screen(bezier(c.start, c.control, c.end, i / SAMPLES)),
                c.width / 2 + (ARROWHEAD if i > 0.8 * SAMPLES else 0),
            )
            for c in curves
            for i in range(SAMPLES + 1)
        ]
        self._boxes = [self._square(screen(node), NODE_SIZE / 2 + 2) for node in nodes]

    @staticmethod
    def _square(centre: Point, half: float) -> Box:
        return centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half

    def _clashes(self, box: Box) -> int:
        """How badly text in `box` would collide: a point of a curve it touches counts 1, a
        node or text it overlaps counts as much as a whole curve."""
        left, bottom, right, top = box
        touched = sum(
            math.hypot(max(left - x, 0, x - right), max(bottom - y, 0, y - top)) < reach + MARGIN
            for (x, y), reach in self._points
        )
        overlapped = sum(
            left < other[2] and other[0] < right and bottom < other[3] and other[1] < top
            for other in self._boxes
        )
        return touched + SAMPLES * overlapped

    def place(
        self, candidates: Sequence[tuple[Point, str]], size: tuple[float, float], offset: float
    ) -> tuple[Point, str]:
        """The first (data point, side) whose text box is free, else the one that collides
        least; its box is kept."""
        best, best_box, least = candidates[0], None, math.inf
        for point, side in candidates:
            box = text_box(self.screen(point), side, size, offset)
            clashes = self._clashes(box)
            if clashes < least:
                best, best_box, least = (point, side), box, clashes
            if not clashes:
                break
        self._boxes.append(best_box)
        return best

    def node_name(self, node: Point, text: str) -> str:
        """The side of `node` its name takes."""
        candidates = [(node, side) for side in NODE_SIDES]
        _, side = self.place(candidates, text_size(text, NODE_FONT), text_offset(NODE_SIZE))
        return side

    def edge_label(self, curve: Curve, text: str, marker_size: float) -> tuple[Point, str]:
        """Where along `curve` its label sits, and on which side: on the side the curve bulges
        to (a curve stays on one side of its tangent; above a straight edge) anywhere along
        it, middle first, then on the other side."""
        middle = ((curve.start[0] + curve.end[0]) / 2, (curve.start[1] + curve.end[1]) / 2)
        bulge = (curve.control[0] - middle[0], curve.control[1] - middle[1])
        outward = bulge if math.hypot(*bulge) > 1e-9 else (0.0, 1.0)
        sx, sy = self.screen.scale  # the normal is taken on screen: pixels stretch the units
        sides: tuple[list, list] = ([], [])
        for t in ALONG:
            point = bezier(curve.start, curve.control, curve.end, t)
            dx, dy = _tangent(curve.start, curve.control, curve.end, t)
            normal = (-dy * sy, dx * sx)
            if normal[0] * outward[0] * sx + normal[1] * outward[1] * sy < 0:
                normal = (-normal[0], -normal[1])
            sides[0].append((point, side_of(normal)))
            sides[1].append((point, side_of((-normal[0], -normal[1]))))
        size, offset = text_size(text, EDGE_FONT), text_offset(marker_size)
        return self.place(sides[0] + sides[1], size, offset)
