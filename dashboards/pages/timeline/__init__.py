"""The case timeline: one case's events across systems, its waits, stage, SLA and links."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "timeline",
    "Case timeline",
    render,
    question="What happened to this case, where is it stuck, and is it past its SLA?",
    applies=(),
    note="The stage and the SLA are judged at the data horizon, as the exception queue "
    "judges them; events after the horizon are shown (hollow) but not counted yet.",
)
