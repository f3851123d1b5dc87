"""Process map: the directly-follows graph of each workflow with counts and durations."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "process",
    "Process map",
    render,
    question="How do cases really move between stages, how often, and how long each step takes?",
    applies=(),
    note="The performance directly-follows graph over the whole history (the same as pm4py's "
    "on this log). Blue arrows go forward; red curves loop back (e.g. a retry).",
)
