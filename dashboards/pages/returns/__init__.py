"""Returns: disposition time and stalled returns."""

from __future__ import annotations

from dashboards.components import EVERY_FILTER, Page

from .layout import render

PAGE = Page(
    "returns",
    "Returns",
    render,
    question="How long do returns wait for inspection, and which ones are stuck?",
    applies=EVERY_FILTER,
    note="Disposition time uses returns received in the selected dates. Stalled returns are "
    "what is open as of the snapshot, so only the location filters apply to them.",
)
