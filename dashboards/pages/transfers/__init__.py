"""Transfers: accuracy and cycle time by lane."""

from __future__ import annotations

from dashboards.components import Page

from .layout import render

PAGE = Page(
    "transfers",
    "Transfers",
    render,
    question="Which lanes ship short or slow, and is a shipping location getting worse?",
    applies=("dates", "location"),
    note="Lines that were shipped and received, by day of shipment; a location filter keeps "
    "lanes whose origin or destination matches.",
)
