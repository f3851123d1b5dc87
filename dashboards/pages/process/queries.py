"""The process map's one query: the directly-follows graph of every workflow."""

from __future__ import annotations

import polars as pl

from dashboards.data import SnapshotData, needs


@needs("process_transitions")
def process_transitions(data: SnapshotData) -> pl.DataFrame:
    """Every workflow's transitions over the whole history (no filter applies)."""
    return data.frame(
        """
        select workflow, from_activity, to_activity, transition_count, case_count,
            p50_duration_s, p95_duration_s
        from process_transitions
        order by workflow, transition_count desc
        """
    )
