"""The dashboard pages, in navigation order. Each module exposes `PAGE`."""

from __future__ import annotations

from ..layout import Page
from . import (
    cycle_counts,
    exceptions,
    integrations,
    orders,
    overview,
    process,
    reconciliation,
    returns,
    risk,
    transfers,
)

PAGES: tuple[Page, ...] = tuple(
    module.PAGE
    for module in (
        overview,
        orders,
        transfers,
        returns,
        reconciliation,
        integrations,
        process,
        exceptions,
        risk,
        cycle_counts,
    )
)
PAGES_BY_PATH: dict[str, Page] = {page.path: page for page in PAGES}
HOME = PAGES[0]
