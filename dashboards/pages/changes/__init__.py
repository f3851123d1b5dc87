"""What changed: since the previous run, the exceptions opened and closed, the KPIs that moved
beyond their normal variation, the late or incomplete sources, and the active alerts."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "changes",
    "What changed",
    render,
    question="What changed since the previous run, and what needs a look?",
    applies=("location",),
    heading="What changed since the previous run",
    note="Exceptions are compared with the previous run's snapshot (region & location narrow "
    "them). A KPI moved when its value on its latest settled day (the data horizon's day, or "
    "a few days before for KPIs whose cases finish later) lies further from the mean of the "
    "complete days before it than their day-to-day spread allows (dbt's kpi_movements; the "
    "chart shows the band in standard deviations). Sources are late by "
    "dbt's watermark rule; a regular feed that delivered nothing since the previous run is "
    "flagged too.",
)
