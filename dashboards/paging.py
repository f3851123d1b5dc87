"""Tables paged on the server: a view sends one page of rows, not the whole result.

A page's `datatable.Table` declares the query of its rows. The page draws the first page;
when the planner turns a page, sorts by a header or types in the filter row, the table asks
here (one callback for every table) and gets that page of the rows its query returns under
the filters the page was drawn with, filtered and sorted as asked.

The filter row speaks DataTable's query language; the forms it writes are understood:
`{column} <op> value` joined by `&&`, op one of = != < <= > >= (or eq ne lt le gt ge),
contains and datestartswith, each maybe marked case-sensitive (s, the table's default) or
not (i, the filter cell's Aa toggle), values bare or quoted.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl
from dash import MATCH, Dash, Input, Output, State, ctx, dcc, no_update

from .components import Page
from .data import Missing, snapshot_data
from .datatable import Table, drawn_filters, page_count, table_id
from .desk import Desk
from .export import csv_text
from .snapshot import SnapshotReader

_TERM = re.compile(
    r"^\{(?P<column>[^}]+)\}\s*(?P<case>[is])?"
    r"(?P<op>>=|<=|!=|=|<|>|eq|ne|lt|le|gt|ge|contains|datestartswith)\s*(?P<value>.*)$"
)
_WORDS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_COMPARE = {
    "=": pl.Expr.eq,
    "!=": pl.Expr.ne,
    "<": pl.Expr.lt,
    "<=": pl.Expr.le,
    ">": pl.Expr.gt,
    ">=": pl.Expr.ge,
}


@dataclass(frozen=True)
class Term:
    """One condition of the filter row: `column` `op` `value`."""

    column: str
    op: str
    value: str
    ignore_case: bool = False


def parse_filter(query: str | None) -> list[Term]:
    """The terms of a DataTable filter query (joined by &&); terms it cannot read are left
    out, so a half-typed filter narrows by what it already says."""
    terms = []
    for part in (query or "").split(" && "):
        match = _TERM.match(part.strip())
        if not match:
            continue
        value = match["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
            value = value[1:-1]
        op = _WORDS.get(match["op"], match["op"])
        terms.append(Term(match["column"], op, value, ignore_case=match["case"] == "i"))
    return terms


def _condition(frame: pl.DataFrame, term: Term) -> pl.Expr | None:
    if term.column not in frame.columns or term.value == "":
        return None
    column, kind = pl.col(term.column), frame.schema[term.column]
    if kind.is_float():
        column = column.round(2)  # the value the cell shows (components._cell)
    if kind.is_numeric() and term.op in _COMPARE:
        try:
            return _COMPARE[term.op](column, float(term.value))
        except ValueError:
            return pl.lit(False)  # a number column compared with text matches nothing
    text, value = column.cast(pl.String), term.value
    if term.ignore_case:
        text, value = text.str.to_lowercase(), value.lower()
    if term.op == "contains":
        return text.str.contains(value, literal=True)
    if term.op == "datestartswith":
        return text.str.starts_with(value)
    return _COMPARE[term.op](text, value)


def view(
    frame: pl.DataFrame, sort_by: Sequence[Mapping] | None = None, query: str | None = None
) -> pl.DataFrame:
    """The rows the table shows over all its pages: filtered by `query`, then sorted by
    `sort_by` (DataTable's [{"column_id", "direction"}], the first the main key; missing
    values last); the query's order where no sort is asked."""
    conditions = [c for term in parse_filter(query) if (c := _condition(frame, term)) is not None]
    if conditions:
        frame = frame.filter(pl.all_horizontal(conditions).fill_null(False))
    keys = [key for key in sort_by or () if key.get("column_id") in frame.columns]
    if keys:
        frame = frame.sort(
            [key["column_id"] for key in keys],
            descending=[key.get("direction") == "desc" for key in keys],
            nulls_last=True,
            maintain_order=True,
        )
    return frame


def declared_tables(pages: Sequence[Page]) -> dict[str, Table]:
    """The tables the pages' modules declare (a page's package: its layout and the modules
    beside it, e.g. the exception queue's work.py), by element id."""
    layouts = {page.render.__module__ for page in pages}
    packages = tuple(f"{name.rpartition('.')[0]}." for name in layouts if "." in name)
    modules = [
        module
        for name, module in list(sys.modules.items())
        if name in layouts or name.startswith(packages)
    ]
    return {
        spec.element_id: spec
        for module in modules
        for spec in vars(module).values()
        if isinstance(spec, Table)
    }


def _rows(reader: SnapshotReader, desk: Desk | None, spec: Table | None, store, sort_by, query):
    """The rows a paged table shows over all its pages (None: no such table or no rows)."""
    with snapshot_data(reader, desk) as data:
        if spec is None or data is None:
            return None
        frame = spec.rows(data, drawn_filters(store))
    return None if isinstance(frame, Missing) else view(frame, sort_by, query)


def _of_table(kind, *props: str) -> list:
    """`kind` (Input, Output, State) of these properties of whichever DataTable asks."""
    return [kind(table_id(MATCH), prop) for prop in props]


def register_paging(
    app: Dash, reader: SnapshotReader, pages: Sequence[Page], desk: Desk | None = None
) -> None:
    """One callback pages, sorts and filters every declared table of `pages`; another writes
    any table's CSV: a paged table's every row its filter keeps (built here, as the browser
    holds one page), a table sent whole what the browser's filter keeps."""
    tables = declared_tables(pages)

    @app.callback(
        *_of_table(Output, "data", "tooltip_data", "page_count", "page_current"),
        *_of_table(Input, "page_current", "sort_by", "filter_query"),
        *_of_table(State, "page_size", "columns"),
        State(table_id(MATCH, "filters"), "data"),
        prevent_initial_call=True,
    )
    def turn_page(page, sort_by, query, page_size, columns, drawn_with):
        spec = tables.get(ctx.triggered_id["table"])
        if drawn_with is None:  # a table sent whole: the browser pages it
            return no_update, no_update, no_update, no_update
        shown = _rows(reader, desk, spec, drawn_with, sort_by, query)
        if shown is None:
            return no_update, no_update, no_update, no_update
        pages_now = page_count(shown.height, page_size)
        turned = any(prop.endswith(".page_current") for prop in ctx.triggered_prop_ids)
        page = min((page or 0) if turned else 0, pages_now - 1)  # a new sort or filter: page 1
        fields = [column["id"] for column in columns or ()]
        records, tooltips = spec.page_records(shown, page, fields)
        return records, tooltips, pages_now, page

    @app.callback(
        Output(table_id(MATCH, "csv-file"), "data"),
        Input(table_id(MATCH, "csv"), "n_clicks"),
        *_of_table(State, "sort_by", "filter_query", "columns", "derived_virtual_data"),
        State(table_id(MATCH, "filters"), "data"),
        prevent_initial_call=True,
    )
    def download_csv(_clicks, sort_by, query, columns, browser_rows, drawn_with):
        """Every row the table's filter and sort keep (all its pages), as on screen."""
        spec = tables.get(ctx.triggered_id["table"])
        records = browser_rows or []
        if drawn_with is not None:
            shown = _rows(reader, desk, spec, drawn_with, sort_by, query)
            if shown is None:
                return no_update
            records, _ = spec.records(shown, [column["id"] for column in columns or ()])
        name = f"{ctx.triggered_id['table']}.csv"
        return dcc.send_string(csv_text(records, columns or []), name)
