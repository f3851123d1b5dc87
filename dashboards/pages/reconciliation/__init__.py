"""Reconciliation: ERP posting lag and the unreconciled backlog."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "reconciliation",
    "Reconciliation",
    render,
    question="How long until stock moves reach the ERP, and what is still unposted?",
    applies=("dates", "location"),
    heading="Reconciliation with the ERP",
    note="Lag and daily counts are KPIs by day of the move (complete days; not reported by "
    "location, so a region or location filter leaves them out); the backlog is what is open "
    "at the data horizon, so only the location filters apply to it.",
)
