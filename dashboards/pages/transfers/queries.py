"""Transfers: lines shipped and received (fct_transfers), per lane and per shipping day."""

from __future__ import annotations

import polars as pl

from dashboards.data import SnapshotData, needs, where
from dashboards.filters import Filters, filter_conditions


def completed_where(filters: Filters, *fixed: str) -> tuple[str, list]:
    """The where clause of the lines shipped and received (and meeting the `fixed`
    predicates), by day of shipment; a location filter keeps lanes whose origin or
    destination matches."""
    conditions = filter_conditions(
        filters,
        date_column="shipment_date",
        location_columns=("origin_location_id", "destination_location_id"),
    )
    return where(conditions, "shipped_at is not null", "received_at is not null", *fixed)


@needs("fct_transfers")
def transfer_lanes(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """Per lane (origin -> destination) of shipped and received lines: lines, in_full,
    accuracy, short_units, cycle_p50_h, cycle_p95_h."""
    return data.select(
        """
        select origin_location_id as origin, destination_location_id as destination,
            count(*) as lines, count(*) filter (where is_received_in_full) as in_full,
            count(*) filter (where is_received_in_full) / count(*) as accuracy,
            coalesce(sum(-receipt_variance_quantity) filter (where is_received_short), 0)
                as short_units,
            quantile_cont(cycle_time_h, 0.5) as cycle_p50_h,
            quantile_cont(cycle_time_h, 0.95) as cycle_p95_h
        from fct_transfers {where}
        group by all
        order by accuracy, lines desc
        """,
        completed_where(filters),
    )


@needs("fct_transfers")
def transfer_accuracy_by_origin(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """shipment_date, origin, lines, accuracy: daily accuracy of each shipping location."""
    return data.select(
        """
        select shipment_date, origin_location_id as origin, count(*) as lines,
            count(*) filter (where is_received_in_full) / count(*) as accuracy
        from fct_transfers {where}
        group by all
        order by shipment_date, origin
        """,
        completed_where(filters),
    )
