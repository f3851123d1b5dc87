"""The page scaffold shared by every page: the Page record, header, cards, graphs, tables,
KPI tiles and empty states, so pages only say what to show."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import plotly.graph_objects as go
import polars as pl
from dash import dash_table, dcc, html

from omnistock.tables import CYCLE_COUNT_REQUESTS, LOCATION_RISK

from .data import Missing, SnapshotData
from .drills import FIGURE_CASES
from .export import LINK_HEADER, link_cell
from .filters import Filters
from .theme import COLUMN_FORMATS, FONT, GRID, INK

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


def _cell(value):
    if value is None:
        return None
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


_FORMATS = {
    "money": dash_table.FormatTemplate.money(0),
    "ratio": dash_table.FormatTemplate.percentage(1),
}


def _column_spec(field: str, label: str, frame: pl.DataFrame) -> dict:
    """A DataTable column: numeric when the frame's column is, formatted by its name."""
    numeric = field in frame.columns and frame.schema[field].is_numeric()
    spec = {"id": field, "name": label, "type": "numeric" if numeric else "text"}
    if field in COLUMN_FORMATS:
        spec["format"] = _FORMATS[COLUMN_FORMATS[field]]
    return spec


MAX_TABLE_ROWS = 5000  # the browser sorts and filters these itself; more would be slow
LONG_TEXT = 40


def table_id(element_id: str, part: str = "table") -> dict:
    """The ids of a table's parts (the DataTable, its CSV button and its download), which the
    app's CSV callback matches; the card holds `element_id`."""
    return {"type": part, "table": element_id}


def table(
    element_id: str,
    title: str,
    frame: pl.DataFrame | Missing,
    columns: Mapping[str, str],
    *,
    page_size: int = 15,
    row_id: str | None = None,
    link: str | None = None,
) -> html.Div:
    """A sortable, filterable table (dash's DataTable) inside a card, with a button that
    downloads its rows as CSV (every row the table's filter keeps, not only the page shown):
    `columns` maps the frame's columns to their headers; `frame` comes in the order to show
    (the first MAX_TABLE_ROWS rows are kept). A `Missing` frame gives the empty state. With
    `link` (a column of the frame holding a URL per row, e.g. the case timeline) a first
    column opens it. With `row_id` (a column of the frame) rows can be selected, and
    `selected_row_ids` names them."""
    if isinstance(frame, Missing):
        return missing_table(element_id, title, frame, wide=True)
    if frame.height > MAX_TABLE_ROWS:
        title += f" (first {MAX_TABLE_ROWS:,} of {frame.height:,})"
        frame = frame.head(MAX_TABLE_ROWS)
    records = [
        ({link: link_cell(row.get(link))} if link else {})
        | {field: _cell(row.get(field)) for field in columns}
        | ({"id": row[row_id]} if row_id else {})
        for row in frame.iter_rows(named=True)
    ]
    # Long text is cut to one line in the cell; the full text shows on hover.
    tooltips = [
        {
            field: {"value": value, "type": "text"}
            for field, value in record.items()
            if isinstance(value, str) and len(value) > LONG_TEXT and field not in ("id", link)
        }
        for record in records
    ]
    specs = [{"id": link, "name": LINK_HEADER, "presentation": "markdown"}] if link else []
    specs += [_column_spec(field, label, frame) for field, label in columns.items()]
    with warnings.catch_warnings():
        # dash-ag-grid is not installed; DataTable's notice that it will leave dash in a
        # future major version would otherwise repeat on every page draw.
        warnings.filterwarnings("ignore", r"\s*The dash_table.DataTable", DeprecationWarning)
        data_table = dash_table.DataTable(
            id=table_id(element_id),
            data=records,
            columns=specs,
            sort_action="native",
            sort_mode="multi",
            filter_action="native",
            page_action="native",
            page_size=page_size,
            style_table={"overflowX": "auto"},
            style_header={
                "backgroundColor": "#f3f4f6",
                "fontWeight": 600,
                "color": INK,
                "border": f"1px solid {GRID}",
            },
            style_cell={
                "fontFamily": FONT,
                "fontSize": 13,
                "padding": "6px 10px",
                "border": f"1px solid {GRID}",
                "textAlign": "left",
                "maxWidth": 360,
                "overflow": "hidden",
                "textOverflow": "ellipsis",
            },
            style_cell_conditional=[{"if": {"column_type": "numeric"}, "textAlign": "right"}],
            style_data_conditional=[{"if": {"row_index": "odd"}, "backgroundColor": "#fafafa"}],
            tooltip_data=tooltips,
            tooltip_duration=None,
            markdown_options={"link_target": "_self"},
            **({"row_selectable": "multi", "selected_row_ids": []} if row_id else {}),
        )
    download = html.Button(
        "Download CSV", id=table_id(element_id, "csv"), className="csv-button", n_clicks=0
    )
    return html.Div(
        [
            html.Div([html.H3(title, className="table-title"), download], className="table-head"),
            data_table,
            dcc.Download(id=table_id(element_id, "csv-file")),
        ],
        id=element_id,
        className="card wide",
    )


@dataclass(frozen=True)
class Table:
    """A table on a page: one query result's `columns` (column -> header), sortable and
    filterable; called with the result (see `table`)."""

    element_id: str
    title: str
    columns: Mapping[str, str]
    page_size: int = 15
    row_id: str | None = None  # selectable rows, named by this column
    link: str | None = None  # the column holding each row's link (e.g. case_href)

    def __call__(self, frame: pl.DataFrame | Missing, title: str | None = None) -> html.Div:
        return table(
            self.element_id,
            title or self.title,
            frame,
            self.columns,
            page_size=self.page_size,
            row_id=self.row_id,
            link=self.link,
        )


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


def message_page(title: str, message: str, element_id: str = "page-message") -> html.Div:
    return html.Div([html.H1(title), html.P(message)], id=element_id, className="message-page")
