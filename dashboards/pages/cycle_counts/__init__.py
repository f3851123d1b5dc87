"""Cycle-count queue: the requests the risk sensor raised, their status and results."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "cycle-counts",
    "Cycle-count queue",
    render,
    question="Which counts are requested, which came back, and what did they find?",
    applies=("location",),
    note="Requests are what the risk sensor raised (open → counted). Results are the counts "
    "taken at the request's location, of its SKUs, after the request, as the cycle-count job "
    "recorded them.",
)
