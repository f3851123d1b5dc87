"""Overview: the headline KPIs for the selected period, their trend and their change."""

from __future__ import annotations

from dashboards.components import EVERY_FILTER, Page

from .layout import render

PAGE = Page(
    "overview",
    "Overview",
    render,
    question="Are the workflows that keep stock accurate getting better or worse?",
    applies=EVERY_FILTER,
    heading="Inventory accuracy at a glance",
    note="Each tile compares the selected dates with the equally long period just before, "
    "over complete days only (up to the data horizon). A KPI that is not reported by a "
    "selected filter says so instead of showing a number for other rows; the note under a "
    "tile says which rows it uses.",
)
