"""Exception queue: every open exception, ranked by impact, sortable."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "exceptions",
    "Exception queue",
    render,
    question="Which open exceptions cost the most, and where are they?",
    applies=("location",),
    note="Everything open as of the snapshot: stalled cases, recent oversells, negative stock, "
    "stock moves not posted to the ERP and unsourced failed reservations.",
)
