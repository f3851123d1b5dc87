"""Location risk: the ranking, what drives it, and the regional picture."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "risk",
    "Location risk",
    render,
    question="Which locations most likely have inaccurate stock records, and why?",
    applies=("location",),
    note="Scores from the latest risk model run (0–1: the share of locations that look less "
    "risky). Ranks are within the locations selected.",
)
