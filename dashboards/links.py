"""Links between pages. Every link carries the view (the global filters) in its URL, so it
opens the page and filter that explain a number, and a copied URL reproduces what was on
screen: a KPI tile opens its page, a figure its cases (`/cases`), a case its timeline
(`/timeline`). A chart mark carries the link to its own cases (`Drill.mark_links`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import quote_plus

import plotly.graph_objects as go
import polars as pl

from .data import Missing, SnapshotData
from .filters import Filters, url_date

CASES_PATH = "/cases"
TIMELINE_PATH = "/timeline"
# Facets that narrow the global filters rather than the case set: a mark's day is its date
# range, its channel, region or location the filter's.
GLOBAL_FACETS = ("day", "channel", "region", "location")


def page_link(path: str, filters: Filters, **params: str | None) -> str:
    """`path` with the global filters and `params` (None leaves one out) in its URL."""
    return path + filters.to_url(**params)


def case_link(filters: Filters, workflow: str, case_key: str) -> str:
    """The timeline of one case of a workflow (order, transfer and return lines: case_id|sku;
    purchase orders: case_id)."""
    return page_link(TIMELINE_PATH, filters, workflow=workflow, case=case_key)


def event_link(filters: Filters, event_id: str) -> str:
    """The timeline of the case an event belongs to (e.g. an unposted stock move)."""
    return page_link(TIMELINE_PATH, filters, event=event_id)


def _quoted(values: pl.Series) -> pl.Series:
    """Each value as `urlencode` writes it (quote_plus), nulls kept: case keys of letters,
    digits, "-_.~" and "|" (the common ones) are encoded at once, other values one by one."""
    if values.drop_nulls().str.contains(r"^[A-Za-z0-9_.~|-]*$").all():
        return values.str.replace_all("|", "%7C", literal=True)
    return values.map_elements(quote_plus, return_dtype=pl.String)


def with_case_links(frame: pl.DataFrame | Missing, filters: Filters) -> pl.DataFrame | Missing:
    """`frame` plus `case_href`: each row's case timeline, by its case (case_workflow, or
    workflow, and case_key) or else by its event (case_event); None when it names neither.
    The links are `case_link` and `event_link`'s, written for every row at once."""
    if isinstance(frame, Missing):
        return frame
    workflow = "case_workflow" if "case_workflow" in frame.columns else "workflow"
    text = pl.String
    cases = frame.select(
        pl.col(workflow).cast(text).alias("workflow"),
        pl.col("case_key").cast(text),
        (pl.col("case_event") if "case_event" in frame.columns else pl.lit(None))
        .cast(text)
        .alias("case_event"),
    )
    prefix = page_link(TIMELINE_PATH, filters)  # the filters' query string: never bare "?"
    by_case = pl.concat_str(
        pl.lit(prefix + "&workflow="),
        _quoted(cases["workflow"]),
        pl.lit("&case="),
        _quoted(cases["case_key"]),
    )
    by_event = pl.concat_str(pl.lit(prefix + "&event="), _quoted(cases["case_event"]))
    links = cases.select(
        pl.when(pl.col("case_key").is_not_null())
        .then(by_case)
        .when(pl.col("case_event").is_not_null())
        .then(by_event)
        .alias("case_href")
    )
    return frame.with_columns(case_href=links["case_href"])


def linked(
    query: Callable[[SnapshotData, Filters], pl.DataFrame | Missing],
) -> Callable[[SnapshotData, Filters], pl.DataFrame | Missing]:
    """`query`'s rows with each row's case link (`with_case_links`): a table's rows."""

    def rows(data: SnapshotData, filters: Filters) -> pl.DataFrame | Missing:
        return with_case_links(query(data, filters), filters)

    return rows


def _text(value) -> str:
    return value.isoformat()[:10] if isinstance(value, date) else str(value)


def narrowed(filters: Filters, **facets) -> tuple[Filters, dict[str, str]]:
    """(the filters narrowed by the global facets, the other facets as URL parameters)."""
    params = {}
    for facet, value in facets.items():
        if value is None:
            continue
        text = _text(value)
        if facet == "day":
            day = url_date(text)
            filters = replace(filters, start=day, end=day) if day else filters
        elif facet in GLOBAL_FACETS:
            filters = replace(filters, **{f"{facet}s": (text,)})
        else:
            params[facet] = text
    return filters, params


def _mark_key(value):
    """A mark's key as its figure holds it: a customdata row's last item is the key."""
    return value[-1] if isinstance(value, list | tuple) else value


@dataclass(frozen=True)
class Drill:
    """The cases behind a figure: a case set of /cases (`cases`, see pages/cases), fixed
    `facets` (e.g. (("workflow", "return"),)), and what a mark adds: its category as the
    facet `along`, its series (trace name) as the facet `series`; of a heatmap cell, its
    column (x) as `along` and its row (y) as the facet `across`.

    `key` says where a bar's or a marker's category is: "x" (the y of a horizontal bar), "y",
    "text" or "customdata" (a row's last item); a box plot's points are keyed by their text."""

    cases: str
    facets: tuple[tuple[str, str], ...] = ()
    along: str | None = None
    series: str | None = None
    key: str = "x"
    across: str | None = None

    def link(self, filters: Filters, **marks) -> str:
        narrowed_filters, params = narrowed(filters, **dict(self.facets), **marks)
        return page_link(CASES_PATH, narrowed_filters, set=self.cases, **params)

    def _keys(self, trace) -> list | None:
        if trace.type == "box":
            return trace.text
        key = self.key
        if key == "x" and getattr(trace, "orientation", None) == "h":
            key = "y"
        keys = getattr(trace, key)
        return None if keys is None else [_mark_key(value) for value in keys]

    def _cells(self, trace, filters: Filters) -> list[list[str]]:
        """A heatmap's links, one per cell (rows of y, columns of x)."""

        def cell(x, y) -> str:
            marks = {self.along: x} if self.along else {}
            return self.link(filters, **marks, **({self.across: y} if self.across else {}))

        return [[cell(x, y) for x in trace.x] for y in trace.y]

    def mark_links(self, figure: go.Figure, filters: Filters) -> go.Figure:
        """Each mark of the figure carries the link to its own cases: a bar's or a marker's
        in its point id, a box plot point's or a heatmap cell's in its customdata (plotly
        hands both to the click handler); traces that draw no data marks (hover skipped)
        are left alone."""
        if not (self.along or self.series or self.across):
            return figure
        for trace in figure.data:
            if trace.type == "heatmap":
                if trace.x is not None and trace.y is not None:
                    trace.customdata = self._cells(trace, filters)
                continue
            if trace.type not in ("bar", "scatter", "box") or trace.hoverinfo == "skip":
                continue
            keys = self._keys(trace)
            if keys is None or (self.series and not trace.name):
                continue
            series = {self.series: trace.name} if self.series else {}
            links = [
                self.link(filters, **series, **({self.along: key} if self.along else {}))
                for key in keys
            ]
            if trace.type == "box":
                trace.customdata = links
            else:
                trace.ids = links
        return figure
