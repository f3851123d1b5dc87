"""The cases behind a figure: the rows that make its numerator, each opening its timeline."""

from __future__ import annotations

from dashboards.components import EVERY_FILTER, Page

from .layout import render

PAGE = Page(
    "cases",
    "Cases",
    render,
    question="Which cases make this number?",
    applies=EVERY_FILTER,
    heading="Cases behind a figure",
    note="Each list uses the filters of the figure it explains; a list of what is open now "
    "(stalled cases, open exceptions) ignores the dates. Download CSV saves every row the "
    "table's own filter keeps, not only the page shown.",
)
