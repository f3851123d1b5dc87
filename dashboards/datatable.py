"""Tables on the pages: DataTables in cards. A small table is sent whole (the browser pages,
sorts and filters it); a `Table` that can grow is paged, sorted and filtered on the server
(paging.py), one page of rows per view. Every table downloads its rows as CSV."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import polars as pl
from dash import dash_table, dcc, html

from .components import missing_table
from .data import Missing, SnapshotData
from .export import LINK_HEADER, LINK_HEADERS, link_cell
from .filters import Filters
from .theme import COLUMN_FORMATS, FONT, GRID, INK


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


MAX_TABLE_ROWS = 5000  # a table sent whole: the browser pages, sorts and filters these itself
LONG_TEXT = 40
TABLE_WIDTH = 1360  # px a wide card gives its table on a 1440 px wide screen


def table_id(element_id: str, part: str = "table") -> dict:
    """The ids of a table's parts (the DataTable, the filters it was drawn with, its CSV
    button and its download), which the paging and CSV callbacks match; the card holds
    `element_id`."""
    return {"type": part, "table": element_id}


def table_records(
    frame: pl.DataFrame,
    fields: Sequence[str],
    link: str | None = None,
    row_id: str | None = None,
) -> tuple[list[dict], list[dict]]:
    """The rows as DataTable records of `fields` (`link` a markdown link cell, `row_id` the
    record's id), and their tooltips: long text is cut to one line in the cell and shows in
    full on hover."""
    records = [
        {
            field: link_cell(row.get(field)) if field == link else _cell(row.get(field))
            for field in fields
        }
        | ({"id": row[row_id]} if row_id else {})
        for row in frame.iter_rows(named=True)
    ]
    tooltips = [
        {
            field: {"value": value, "type": "text"}
            for field, value in record.items()
            if isinstance(value, str) and len(value) > LONG_TEXT and field not in ("id", link)
        }
        for record in records
    ]
    return records, tooltips


def cell_width(columns: int) -> int:
    """The widest a cell of a table with `columns` columns gets (px), so the table fits its
    card: 240, less when there are many columns (a third of them short numbers)."""
    return max(100, min(240, 3 * TABLE_WIDTH // (2 * max(columns, 1))))


def page_count(rows: int, page_size: int) -> int:
    """How many pages `rows` rows fill (at least one, empty)."""
    return max(1, -(-rows // page_size))


def _card(
    element_id: str,
    title: str,
    frame: pl.DataFrame,
    columns: Mapping[str, str],
    drawn_with: dict | None,
    link: str | None = None,
    row_id: str | None = None,
    **settings,
) -> html.Div:
    """A DataTable (sortable, with a filter row, a CSV button) of `frame`'s `columns` in a
    card: with `link` (a column holding a URL per row, e.g. the case timeline) a first column
    opens it; with `row_id` rows can be selected (`selected_row_ids`). `drawn_with` is the
    view the rows were drawn for (None: the table is sent whole); `settings` say who pages,
    sorts and filters (the browser or the server) and what the table shows now."""
    header = LINK_HEADERS.get(link, LINK_HEADER)
    specs = [{"id": link, "name": header, "presentation": "markdown"}] if link else []
    specs += [_column_spec(field, label, frame) for field, label in columns.items()]
    with warnings.catch_warnings():
        # dash-ag-grid is not installed; DataTable's notice that it will leave dash in a
        # future major version would otherwise repeat on every page draw.
        warnings.filterwarnings("ignore", r"\s*The dash_table.DataTable", DeprecationWarning)
        data_table = dash_table.DataTable(
            id=table_id(element_id),
            columns=specs,
            sort_mode="multi",
            style_table={"overflowX": "auto"},
            style_header={
                "backgroundColor": "#f3f4f6",
                "fontWeight": 600,
                "color": INK,
                "border": f"1px solid {GRID}",
                "whiteSpace": "normal",  # a long header wraps rather than widen its column
            },
            style_cell={
                "fontFamily": FONT,
                "fontSize": 13,
                "padding": "6px 10px",
                "border": f"1px solid {GRID}",
                "textAlign": "left",
                "maxWidth": cell_width(len(specs)),  # longer text is cut (full on hover)
                "overflow": "hidden",
                "textOverflow": "ellipsis",
            },
            style_cell_conditional=[{"if": {"column_type": "numeric"}, "textAlign": "right"}],
            style_data_conditional=[{"if": {"row_index": "odd"}, "backgroundColor": "#fafafa"}],
            tooltip_duration=None,
            markdown_options={"link_target": "_self"},
            **({"row_selectable": "multi", "selected_row_ids": []} if row_id else {}),
            **settings,
        )
    download = html.Button(
        "Download CSV", id=table_id(element_id, "csv"), className="csv-button", n_clicks=0
    )
    return html.Div(
        [
            html.Div([html.H3(title, className="table-title"), download], className="table-head"),
            data_table,
            dcc.Store(id=table_id(element_id, "filters"), data=drawn_with),
            dcc.Download(id=table_id(element_id, "csv-file")),
        ],
        id=element_id,
        className="card wide",
    )


def table(
    element_id: str,
    title: str,
    frame: pl.DataFrame | Missing,
    columns: Mapping[str, str],
    *,
    page_size: int = 15,
    link: str | None = None,
) -> html.Div:
    """A small table sent whole: the browser pages, sorts and filters it (the first
    MAX_TABLE_ROWS rows are kept; its CSV is what the browser's filter keeps). `columns` maps
    the frame's columns to their headers; `frame` comes in the order to show; with `link` (a
    column holding a URL per row) a first column opens it. A `Missing` frame gives the empty
    state. Tables that can grow are `Table`s, paged on the server."""
    if isinstance(frame, Missing):
        return missing_table(element_id, title, frame, wide=True)
    if frame.height > MAX_TABLE_ROWS:
        title += f" (first {MAX_TABLE_ROWS:,} of {frame.height:,})"
        frame = frame.head(MAX_TABLE_ROWS)
    records, tooltips = table_records(frame, ([link] if link else []) + list(columns), link)
    return _card(
        element_id,
        title,
        frame,
        columns,
        None,  # no view: the paging and CSV callbacks leave a table sent whole to the browser
        link,
        data=records,
        tooltip_data=tooltips,
        page_size=page_size,
        page_action="native",
        sort_action="native",
        filter_action="native",
    )


def drawn_with(filters: Filters) -> dict:
    """What a paged table keeps of the view it was drawn for: the filters and the page's
    parameters (e.g. the case set), from which the server draws its other pages."""
    return filters.to_store() | {"params": [list(pair) for pair in filters.page_params]}


def drawn_filters(store: dict | None) -> Filters:
    """The view a paged table was drawn for (`drawn_with`)."""
    params = tuple((key, value) for key, value in (store or {}).get("params") or ())
    return replace(Filters.from_store(store), page_params=params)


@dataclass(frozen=True)
class Table:
    """A table on a page that can grow: `rows(data, filters)` gives its rows (a query, in the
    order to show), `columns` what it shows of them (column -> header). Called with the
    snapshot and the filters it draws the first page; the server sends each further page
    (see paging.py), and the CSV of every row the table's filter keeps."""

    element_id: str
    title: str
    rows: Callable[[SnapshotData, Filters], pl.DataFrame | Missing]
    columns: Mapping[str, str]
    page_size: int = 15
    row_id: str | None = None  # selectable rows, named by this column
    link: str | None = None  # the column holding each row's link (e.g. case_href)

    def __call__(self, data: SnapshotData, filters: Filters) -> html.Div:
        return self.draw(self.rows(data, filters), filters)

    def draw(
        self,
        frame: pl.DataFrame | Missing,
        filters: Filters,
        title: str | None = None,
        columns: Mapping[str, str] | None = None,
    ) -> html.Div:
        """The first page of `frame` (what `rows` gives under `filters`), under `title`
        and showing `columns` when they differ from the declared ones."""
        if isinstance(frame, Missing):
            return missing_table(self.element_id, self.title, frame, wide=True)
        columns = columns or self.columns
        records, tooltips = self.page_records(frame, 0, self.fields(columns))
        return _card(
            self.element_id,
            title or self.title,
            frame,
            columns,
            drawn_with(filters),
            self.link,
            self.row_id,
            data=records,
            tooltip_data=tooltips,
            page_size=self.page_size,
            page_current=0,
            page_count=page_count(frame.height, self.page_size),
            page_action="custom",
            sort_action="custom",
            filter_action="custom",
        )

    def fields(self, columns: Mapping[str, str]) -> list[str]:
        """The record fields of a table showing `columns`: the link first."""
        return ([self.link] if self.link else []) + list(columns)

    def records(self, frame: pl.DataFrame, fields: Sequence[str]) -> tuple[list[dict], list[dict]]:
        """The records and tooltips of `frame`'s rows, as the table shows them."""
        return table_records(frame, fields, self.link, self.row_id)

    def page_records(
        self, frame: pl.DataFrame, page: int, fields: Sequence[str]
    ) -> tuple[list[dict], list[dict]]:
        """The records and tooltips of page `page` (from 0) of `frame`."""
        return self.records(frame.slice(page * self.page_size, self.page_size), fields)
