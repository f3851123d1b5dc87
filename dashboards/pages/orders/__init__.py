"""Orders & reservations: reservation latency, failure reasons, oversells and promotions."""

from __future__ import annotations

from dashboards.components import EVERY_FILTER, Page

from .layout import render

PAGE = Page(
    "orders",
    "Orders & reservations",
    render,
    question="How fast do reservations confirm, why do they fail, and where do we oversell?",
    applies=EVERY_FILTER,
    note="Promotions are not flagged in the data: they show as burst days of oversells "
    "(shaded) and as blocks of SKUs overselling on the same days. Failure reasons are "
    "reported for all channels and locations.",
)
