"""The dashboards' look, in one place: type, ink, the palette with one colour per category
value (the web channel, the open status, the p95 … have the same colour on every chart), the
empty and base figures every builder starts from, and how values read.

`assets/style.css` repeats the ink colours for the page shell (CSS cannot import Python).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable

import plotly.graph_objects as go

from omnistock.config import SOURCE_SYSTEMS

from .filters import UNKNOWN

FONT = "Inter, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
ACCENT = "#2563eb"  # the one-series colour: a bar or line that is not a category
BAD = "#b91c1c"  # worse than it should be: a short lane, a p95, a disruption, a loop back
WARN = "#d97706"  # worth a look: burst days
GOOD = "#15803d"  # better than before (a KPI's change)
PALE = "#f8fafc"
HEAT = "#fde68a"

PALETTE = (
    "#2563eb",  # blue
    "#f59e0b",  # amber
    "#10b981",  # green
    "#8b5cf6",  # violet
    "#ef4444",  # red
    "#06b6d4",  # cyan
    "#ec4899",  # pink
    "#84cc16",  # lime
    "#64748b",  # slate
    "#a16207",  # brown
)
HEIGHT = 340
TOP_N = 15

# The values each category takes (SPEC 4's vocabulary and the marts'), coloured in this
# order: a value keeps its colour on every chart. Values not listed (a location, an imported
# log's integrations) get a colour from their name, so they too keep it wherever it is free.
CATEGORY_VALUES: dict[str, tuple[str, ...]] = {
    "percentile": ("p50", "p95"),
    "status": ("open", "counted"),
    "channel": ("web", "marketplace", "store", "bopis", "ship_from_store"),
    "region": ("north", "south", "east", "west", "central", "coastal", "alpine", "metro"),
    "location_type": ("store", "dc"),
    "exception_type": (
        "oversell",
        "negative_stock",
        "stalled_case",
        "unreconciled_event",
        "failed_reservation",
    ),
    "reason_code": ("insufficient_stock", "timeout", "api_error"),
    "integration": ("oms_erp_availability", "marketplace_orders", "wms_sync"),
    # the built-in sources, in the contract's order (added adapters take the fallback colours)
    "source_system": SOURCE_SYSTEMS,
    "event_type": (
        "sale",
        "order_fulfilled",
        "transfer_shipped",
        "transfer_received",
        "return_restocked",
        "po_received",
        "inventory_adjusted",
    ),
    "stage": ("return_received", "return_inspected", "return_restocked", "refund_issued"),
}
UNKNOWN_COLOUR = "#9ca3af"  # a pale grey no category value takes: "not recorded"
# Values whose colour says what they mean, in every category.
MEANINGFUL_COLOURS = {
    "p50": ACCENT,
    "p95": BAD,
    "open": PALETTE[1],
    "counted": PALETTE[2],
    UNKNOWN: UNKNOWN_COLOUR,
}


def _value_colours(vocabularies: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """value -> colour for every listed value: a value named in several categories (the
    marketplace channel and source system) keeps one colour, and the values of one category
    all differ. Each takes the first palette colour none of its categories' values has yet."""
    colours = dict(MEANINGFUL_COLOURS)
    for values in vocabularies.values():
        for value in values:
            if value in colours:
                continue
            neighbours = {v for vs in vocabularies.values() if value in vs for v in vs}
            taken = {colours[v] for v in neighbours if v in colours}
            colours[value] = next(colour for colour in PALETTE if colour not in taken)
    return colours


VALUE_COLOURS = _value_colours(CATEGORY_VALUES)
CATEGORY_COLOURS: dict[str, dict[str, str]] = {
    category: {value: VALUE_COLOURS[value] for value in values}
    for category, values in CATEGORY_VALUES.items()
}


def category_colours(category: str, values: Iterable[str]) -> dict[str, str]:
    """value -> colour for the values one chart shows, in their order: the value's own
    colour (the same in every category that lists it; "unknown" is grey everywhere), else the
    first palette colour from the value's name on that is still free on the chart."""
    known = {**CATEGORY_COLOURS.get(category, {}), UNKNOWN: UNKNOWN_COLOUR}
    values = list(dict.fromkeys(values))
    taken = {known[value] for value in values if value in known}
    colours = {}
    for value in values:
        if value in known:
            colours[value] = known[value]
            continue
        start = zlib.crc32(value.encode())
        ring = [PALETTE[(start + step) % len(PALETTE)] for step in range(len(PALETTE))]
        colours[value] = next((colour for colour in ring if colour not in taken), ring[0])
        taken.add(colours[value])
    return colours


def with_alpha(colour: str, alpha: float) -> str:
    """A #rrggbb colour as rgba with this opacity."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def heat_scale(middle: float) -> list[list]:
    """Pale to amber (at `middle`) to red: a heatmap where only the top stands out."""
    return [[0, PALE], [middle, HEAT], [1, BAD]]


# -- figures ------------------------------------------------------------------------------


def base_figure(title: str, subtitle: str | None = None, height: int = HEIGHT) -> go.Figure:
    """An empty figure in the dashboards' style: the title says what the chart answers, the
    subtitle gives the headline number or how to read it."""
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


def add_note(figure: go.Figure, text: str, size: int = 13) -> go.Figure:
    """A muted line of text in the middle of the plot (why there is nothing to draw)."""
    figure.add_annotation(
        text=text,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": size, "color": MUTED},
    )
    return figure


def empty_figure(
    title: str, message: str = "No data for the selected filters.", height: int = HEIGHT
) -> go.Figure:
    """What every builder returns when there is nothing to show: a page never breaks on a
    quiet day or a narrow filter."""
    figure = add_note(base_figure(title, height=height), message)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


# -- how values read ----------------------------------------------------------------------


def counted(number: float, noun: str, plural: str | None = None) -> str:
    """A number and its noun, singular for exactly one: "1 request", "2 requests",
    "1,250 oversold lines"; `plural` for nouns that do not just add an s ("1 day", "3 burst
    days" need none; "1 category", "4 categories" do)."""
    text = f"{number:,}" if isinstance(number, int) else f"{number:,.0f}"
    return f"{text} {noun if text == '1' else plural or noun + 's'}"


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


# How a table column reads, by column name wherever it appears; other numeric columns are
# plain numbers, the rest text.
COLUMN_FORMATS = {
    "value_at_cost": "money",
    "expected_discrepancy_value": "money",
    "value_corrected": "money",
    "accuracy": "ratio",
}
