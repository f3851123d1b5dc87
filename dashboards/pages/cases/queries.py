"""The cases behind a figure: per case set, the rows that make a figure's numerator (the
oversold order lines, the short transfer lines, the stalled cases, ...) or the cases a
duration figure measures (the reservations by latency, ...), each naming the case its
timeline shows. What a set is and how it is read: caseset.py; the sets: work_sets.py (counts
of the orders, transfers and exceptions pages), duration_sets.py (the percentile and
duration KPIs), state_sets.py (counts, stock, API calls, process steps)."""

from __future__ import annotations

from .caseset import CASE_COLUMNS, CaseSet, cases, figure_percentiles
from .duration_sets import DURATION_SETS
from .state_sets import STATE_SETS
from .work_sets import WORK_SETS

CASE_SETS: dict[str, CaseSet] = {
    case_set.slug: case_set for case_set in (*WORK_SETS, *DURATION_SETS, *STATE_SETS)
}

__all__ = ["CASE_COLUMNS", "CASE_SETS", "CaseSet", "cases", "figure_percentiles"]
