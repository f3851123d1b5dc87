"""What changed since the previous run: the differences a publish derives with the previous
snapshot version (exception_changes, source_changes; dashboards/derived.py), the KPIs dbt
judges beyond their normal variation (kpi_movements) and the feeds dbt finds silent
(alert_conditions). The global location filter narrows the exceptions; the rest is overall."""

from __future__ import annotations

import polars as pl

from dashboards.data import SnapshotData, at_locations, needs
from dashboards.filters import Filters
from dashboards.pages.exceptions.queries import exceptions_by


def comparison(data: SnapshotData) -> dict | None:
    """The previous version this snapshot was compared with (manifest `previous`)."""
    return data.snapshot.manifest.get("previous")


@needs("exception_changes")
def exception_changes(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """The exceptions opened and closed since the previous version, opened first, by value."""
    return data.select(
        """
        select change, exception_id, exception_type, workflow, location_id, sku, reference_id,
            opened_at, age_h, units, value_at_cost, detail
        from exception_changes {where}
        order by change desc, value_at_cost desc nulls last, exception_id
        """,
        at_locations(filters),
    )


@needs("exception_changes")
def exception_change_summary(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """change, exception_type, exceptions, value_at_cost."""
    return exceptions_by(data, filters, "exception_changes", "change, exception_type")


@needs("kpi_movements")
def kpi_movements(data: SnapshotData) -> pl.DataFrame:
    """Every KPI judged on its latest settled day: those that moved first, then the furthest
    from their mean, those with too short a baseline last."""
    return data.frame(
        """
        select * from kpi_movements
        order by coalesce(is_moved, false) desc, is_moved is null,
            abs(coalesce(z_score, 0)) desc, label
        """
    )


@needs("source_changes")
def source_changes(data: SnapshotData) -> pl.DataFrame:
    """Per source: freshness now (dbt's watermark rule) and what arrived since the previous
    version."""
    return data.frame("select * from source_changes")


@needs("alert_conditions")
def silent_feeds(data: SnapshotData) -> list[str]:
    """Regular feeds without a single regular day of events (no watermark at all)."""
    rows = data.frame(
        "select subject from alert_conditions "
        "where rule = 'stale_source' and value is null order by subject"
    )
    return rows["subject"].to_list()
