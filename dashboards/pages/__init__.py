"""The dashboard pages, in navigation order: the one place a page is registered.

Each page is a package `pages/<page>/`: `queries.py` (what it reads from the snapshot),
`figures.py` (query results in, plotly figures out), `layout.py` (`render`: the page body)
and `__init__.py` (its `PAGE`: URL, navigation label, header). To add a page, write the
package and add its `PAGE` to `PAGES` (docs/extending.md, "Add a dashboard page").
`DRILL_PAGES` are reached from the others' links, not the navigation: the cases behind a
figure and a case's timeline.
"""

from __future__ import annotations

from dashboards.components import Page

from . import (
    cases,
    changes,
    cycle_counts,
    exceptions,
    integrations,
    orders,
    overview,
    process,
    reconciliation,
    returns,
    risk,
    timeline,
    transfers,
)

PAGES: tuple[Page, ...] = (
    overview.PAGE,
    changes.PAGE,
    orders.PAGE,
    transfers.PAGE,
    returns.PAGE,
    reconciliation.PAGE,
    integrations.PAGE,
    process.PAGE,
    exceptions.PAGE,
    risk.PAGE,
    cycle_counts.PAGE,
)
DRILL_PAGES: tuple[Page, ...] = (cases.PAGE, timeline.PAGE)
PAGES_BY_PATH: dict[str, Page] = {page.path: page for page in (*PAGES, *DRILL_PAGES)}
