"""Exception queue: every open exception, ranked by impact, sortable, and worked: assigned,
acknowledged, snoozed or resolved from the page (the work log)."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render
from .work import register

PAGE = Page(
    "exceptions",
    "Exception queue",
    render,
    question="Which open exceptions cost the most, and where are they?",
    applies=("location",),
    note="Everything open as of the snapshot: stalled cases, recent oversells, negative stock, "
    "stock moves not posted to the ERP and unsourced failed reservations. Tick rows to assign, "
    "acknowledge, snooze or resolve them: the action shows at once, is kept in the audit log "
    "and stays through every pipeline run.",
    register=register,
)
