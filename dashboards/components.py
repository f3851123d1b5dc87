"""The page scaffold shared by every page: the Page record, header, cards, graphs, tables,
KPI tiles and empty states, so pages only say what to show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go
from dash import dcc, html

from omnistock.tables import CYCLE_COUNT_REQUESTS, LOCATION_RISK

from .data import Missing, SnapshotData
from .drills import FIGURE_CASES
from .filters import Filters

FILTER_LABELS = {"dates": "dates", "channel": "channel", "location": "region & location"}
EVERY_FILTER = tuple(FILTER_LABELS)


@dataclass(frozen=True)
class Page:
    """One dashboard page at a stable URL (`/<slug>`): `title` labels it in the navigation
    and heads it (unless `heading` says otherwise); `render` builds its body from the
    snapshot and the filters."""

    slug: str
    title: str
    render: Callable[[SnapshotData, Filters], list]
    question: str  # what a planner gets from the page, in one line
    applies: tuple[str, ...]  # global filters that narrow this page (keys of FILTER_LABELS)
    heading: str = ""
    note: str = ""  # how to read the page when the filters need explaining
    # the page's own callbacks (forms on the page): register(app, reader, desk)
    register: Callable[..., None] | None = None

    def __post_init__(self) -> None:
        if not self.heading:
            object.__setattr__(self, "heading", self.title)

    @property
    def path(self) -> str:
        return f"/{self.slug}"


GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def graph_id(element_id: str) -> dict:
    """The id of a page's graph: its card holds `element_id`, the graph this pattern, which
    the app's click handler follows (a mark that carries a link opens it)."""
    return {"type": "chart", "chart": element_id}


def graph(element_id: str, figure: go.Figure, wide: bool = False, footer=None) -> html.Div:
    # The graph sizes itself to its parent: a box of its own, so a footer does not squeeze it
    # (plotly drew a chart with a footer beside it at an infinite width).
    box = html.Div(dcc.Graph(id=graph_id(element_id), figure=figure, config=GRAPH_CONFIG))
    return html.Div(
        [box, footer],
        id=element_id,
        className="card wide" if wide else "card",
    )


def empty_state(element_id: str, title: str, message: str, wide: bool = False) -> html.Div:
    return html.Div(
        [html.H3(title), html.P(message)],
        id=element_id,
        className="card empty-state" + (" wide" if wide else ""),
    )


# Why a table may be missing from a snapshot, in words a planner can act on.
TABLE_ORIGINS = {
    LOCATION_RISK.name: "it appears after the risk model's first scoring run.",
    CYCLE_COUNT_REQUESTS.name: "it appears once the cycle-count job has written requests.",
}


def missing_table(element_id: str, title: str, missing: Missing, wide: bool = False) -> html.Div:
    why = TABLE_ORIGINS.get(
        missing.table, "it appears once the pipeline has built and published it."
    )
    return empty_state(
        element_id, title, f"The published snapshot has no {missing.table} table yet: {why}", wide
    )


@dataclass(frozen=True)
class Chart:
    """A figure on a page, drawn by `build` from the page's query results. Called with the
    results, it gives the figure's card, or the empty state naming the table when a result
    is `Missing` (`title` names the chart there)."""

    element_id: str
    title: str
    build: Callable[..., go.Figure]
    wide: bool = False

    def __call__(self, *results, filters: Filters | None = None) -> html.Div:
        """The card; with `filters`, when drills.FIGURE_CASES knows the cases behind the
        figure, a link to them under it, and each mark links to its own."""
        for result in results:
            if isinstance(result, Missing):
                return missing_table(self.element_id, self.title, result, self.wide)
        figure = self.build(*results)
        drill = FIGURE_CASES.get(self.element_id)
        if drill is None or filters is None:
            return graph(self.element_id, figure, self.wide)
        footer = dcc.Link(
            "Cases behind this figure →",
            href=drill.link(filters),
            id=f"{self.element_id}-cases",
            className="cases-link",
        )
        return graph(self.element_id, drill.mark_links(figure, filters), self.wide, footer)


def grid(*children) -> html.Div:
    return html.Div(list(children), className="grid")


def section(title: str, *children) -> html.Section:
    return html.Section([html.H2(title), *children], className="section")


def kpi_tile(
    slug: str,
    label: str,
    value: str,
    change: str,
    tone: str,
    note: str,
    sparkline: go.Figure,
    page_href: str | None = None,
    cases_href: str | None = None,
) -> html.Div:
    """A KPI's tile; with `page_href` its number opens the page that explains it, with
    `cases_href` a link under it lists the cases behind it."""
    number = [
        html.Div(label, className="tile-label"),
        html.Div(value, className="tile-value", id=f"tile-value-{slug}"),
        html.Div(change, className=f"tile-change {tone}"),
    ]
    cases = cases_href and dcc.Link(
        "cases →", href=cases_href, id=f"tile-cases-{slug}", className="tile-cases"
    )
    return html.Div(
        [
            dcc.Link(number, href=page_href, id=f"tile-link-{slug}", className="tile-link")
            if page_href
            else html.Div(number),
            dcc.Graph(
                id=f"spark-{slug}",
                figure=sparkline,
                className="sparkline",
                style={"height": "56px"},
                config={"displayModeBar": False, "responsive": True},
            ),
            html.Div([note, cases], className="tile-note"),
        ],
        className="tile",
        id=f"tile-{slug}",
    )


def _clock(as_of: str | None, horizon_date: date | None) -> str:
    parts = [f"KPIs complete through {horizon_date}"] if horizon_date else []
    parts += [f"data as of {as_of}"] if as_of else []
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]


def page_header(page: Page, as_of: str | None, horizon_date: date | None = None) -> html.Div:
    """Title, question, the filters the page honours and the data's clock: KPIs count the
    days up to the data horizon's day, later days are incomplete and left out."""
    applies = [html.Span(FILTER_LABELS[name], className="chip") for name in page.applies]
    scope = (
        ["Filtered by: ", *applies]
        if applies
        else ["The global filters do not apply to this page."]
    )
    return html.Div(
        [
            html.H1(page.heading),
            html.P(page.question, className="question"),
            html.Div(
                [
                    html.Span(scope, className="scope"),
                    html.Span(_clock(as_of, horizon_date), className="as-of", id="data-clock"),
                ],
                className="header-meta",
            ),
            html.P(page.note, className="note") if page.note else None,
        ],
        className="page-header",
    )


def plural(count: int, word: str) -> str:
    """ "1 exception", "2 exceptions" (words that take an s)."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def reversed_dates(filters: Filters) -> html.Div | None:
    """What a page that honours dates shows instead of its figures when the end date is
    before the start (every KPI would read "–"); None when the dates are in order."""
    if filters.start is None or filters.end is None or filters.start <= filters.end:
        return None
    return html.Div(
        [
            html.H3("The end date is before the start date"),
            html.P(
                f"The selected dates run from {filters.start} back to {filters.end}. Pick an "
                "end date on or after the start date (or reset the filters) to see this page."
            ),
        ],
        id="reversed-dates",
        className="card empty-state wide",
    )


def message_page(title: str, message: str, element_id: str = "page-message") -> html.Div:
    return html.Div([html.H1(title), html.P(message)], id=element_id, className="message-page")
