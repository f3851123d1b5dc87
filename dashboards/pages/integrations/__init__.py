"""Integration health: API failure rate with disruptions and their recovery, feed lag."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "integrations",
    "Integration health",
    render,
    question="Which integrations fail, when were they down, and how fast did they recover?",
    applies=("dates",),
)
