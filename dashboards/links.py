"""Links between pages. Every link carries the view (the global filters) in its URL, so it
opens the page and filter that explain a number, and a copied URL reproduces what was on
screen: a KPI tile opens its page, a figure its cases (`/cases`), a case its timeline
(`/timeline`). A chart mark carries the link to its own cases (`Drill.mark_links`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

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


def with_case_links(frame: pl.DataFrame | Missing, filters: Filters) -> pl.DataFrame | Missing:
    """`frame` plus `case_href`: each row's case timeline, by its case (case_workflow, or
    workflow, and case_key) or else by its event (case_event); None when it names neither."""
    if isinstance(frame, Missing):
        return frame
    workflow = "case_workflow" if "case_workflow" in frame.columns else "workflow"
    event = pl.col("case_event") if "case_event" in frame.columns else pl.lit(None, pl.String)
    cases = frame.select(pl.col(workflow).alias("workflow"), "case_key", event.alias("event"))
    links = [
        case_link(filters, row["workflow"], row["case_key"])
        if row["case_key"] is not None
        else event_link(filters, row["event"])
        if row["event"] is not None
        else None
        for row in cases.iter_rows(named=True)
    ]
    return frame.with_columns(case_href=pl.Series(links, dtype=pl.String))


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


@dataclass(frozen=True)
class Drill:
    """The cases behind a figure: a case set of /cases (`cases`, see pages/cases), fixed
    `facets` (e.g. (("workflow", "return"),)), and what a mark adds: its category (x, or y of
    a horizontal bar) as the facet `along`, its series (trace name) as the facet `series`."""

    cases: str
    facets: tuple[tuple[str, str], ...] = ()
    along: str | None = None
    series: str | None = None

    def link(self, filters: Filters, **marks) -> str:
        narrowed_filters, params = narrowed(filters, **dict(self.facets), **marks)
        return page_link(CASES_PATH, narrowed_filters, set=self.cases, **params)

    def mark_links(self, figure: go.Figure, filters: Filters) -> go.Figure:
        """Each bar or marker of the figure carries the link to its own cases in its point id
        (plotly hands it to the click handler as `id`); traces that draw no data marks
        (hover skipped) and heatmaps are left alone."""
        if not (self.along or self.series):
            return figure
        for trace in figure.data:
            if trace.type not in ("bar", "scatter") or trace.hoverinfo == "skip":
                continue
            keys = trace.y if getattr(trace, "orientation", None) == "h" else trace.x
            if keys is None or (self.series and not trace.name):
                continue
            series = {self.series: trace.name} if self.series else {}
            trace.ids = [
                self.link(filters, **series, **({self.along: key} if self.along else {}))
                for key in keys
            ]
        return figure
