"""The cases page: the rows behind one figure (its case set), each opening its timeline, and
without a set the index of every set."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
from dash import dcc, html

from dashboards.data import Missing, SnapshotData
from dashboards.datatable import Table
from dashboards.filters import Filters
from dashboards.kpi_queries import kpi_catalog
from dashboards.kpis import format_value
from dashboards.links import page_link, with_case_links

from .queries import CASE_SETS, CaseSet, cases, figure_percentiles

PAGE_SIZE = 10


def _index(filters: Filters, problem: str | None = None) -> html.Div:
    """Every case set, each a link under the current filters."""
    items = [
        html.Li(
            [
                dcc.Link(case_set.title, href=page_link("/cases", filters, set=case_set.slug)),
                f": {case_set.explains}.",
            ]
        )
        for case_set in CASE_SETS.values()
    ]
    return html.Div(
        [html.P(problem, className="note") if problem else None, html.Ul(items)],
        id="cases-index",
        className="card wide",
    )


def percentile_note(data: SnapshotData, case_set: CaseSet, filters: Filters) -> str | None:
    """The values of the figure's percentiles the cases are banded against ("p50 8.0 s ·
    p95 97.5 s over the selected dates"), or why there are none; None for a set without."""
    values = figure_percentiles(data, case_set, filters)
    if values is None:
        return None
    if isinstance(values, Missing):
        return f"No percentiles to compare with: the snapshot has no {values.table} table."
    catalog = kpi_catalog(data)
    cut = values.cuts[case_set.percentiles[-1]]
    if not cut.available:
        return f"No percentiles to compare with: {cut.unavailable}; slowest first."
    shown = " · ".join(
        f"p{catalog[name].percentile * 100:g} {format_value(catalog[name], values.value(name))}"
        for name in case_set.percentiles
    )
    return (
        f"{shown} over the selected dates and filters (the KPIs' values, as the figure "
        f"shows them): the last column says where each case falls."
    )


def _summary(
    case_set: CaseSet, filters: Filters, rows: int, percentiles: str | None = None
) -> html.Div:
    """What the list is, the facets that narrow it, the figure's percentiles the cases are
    banded against and the page that explains them."""
    facets = [
        html.Span(f"{facet} = {value}", className="chip")
        for facet in case_set.facets
        if (value := filters.param(facet)) is not None
    ]
    explained = page_link(f"/{case_set.page}", replace(filters, page_params=()))
    return html.Div(
        [
            html.H2(case_set.title, id="cases-title"),
            html.P(f"The rows behind {case_set.explains}."),
            html.P(
                [
                    html.Strong(f"{rows:,} case{'s' if rows != 1 else ''}", id="cases-count"),
                    *([" · narrowed to", *facets] if facets else []),
                    " · ",
                    dcc.Link("the page that explains them →", href=explained, id="cases-page"),
                ]
            ),
            html.P(percentiles, id="cases-percentiles") if percentiles else None,
        ],
        className="card wide cases-summary",
    )


def render(data: SnapshotData, filters: Filters) -> list:
    slug = filters.param("set")
    if slug is None:
        return [_index(filters)]
    case_set = CASE_SETS.get(slug)
    if case_set is None:
        return [_index(filters, f"There is no list of cases called {slug!r}. These are:")]
    rows = case_rows(data, filters)
    timelines = not isinstance(rows, Missing) and rows["case_href"].is_not_null().any()
    title = f"{case_set.title} (each opens its case timeline)" if timelines else case_set.title
    listing = LISTING.draw(rows, filters, title, case_set.columns)
    if isinstance(rows, Missing):
        return [listing]
    note = percentile_note(data, case_set, filters)
    return [_summary(case_set, filters, rows.height, note), listing]


def case_rows(data: SnapshotData, filters: Filters) -> pl.DataFrame | Missing:
    """The cases of the set the page parameter `set` names, each with its timeline link."""
    return with_case_links(cases(data, CASE_SETS[filters.param("set")], filters), filters)


# The list of cases; its columns are the case set's (`render` draws it with them).
LISTING = Table("cases-table", "Cases", case_rows, {}, page_size=PAGE_SIZE, link="case_href")
