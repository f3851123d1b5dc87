"""What is open as of the snapshot, from exception_queue (dates do not apply: it is a work list
of what is open now). The orders and reconciliation pages list their share of it."""

from __future__ import annotations

import polars as pl

from dashboards.data import SnapshotData, at_locations, needs
from dashboards.filters import Filters

# The case an exception is about, as exception_queue.sql names it in reference_id: a stalled
# case as <workflow>:<case_key>, an oversold or unsourced order line as its case_key, an
# unposted stock move as its event_id; negative stock is a sku-location, no case.
CASE_OF_EXCEPTION = """
    case when exception_type = 'stalled_case' then workflow
         when exception_type in ('oversell', 'failed_reservation') then 'order'
    end as case_workflow,
    case when exception_type = 'stalled_case' then substr(reference_id, length(workflow) + 2)
         when exception_type in ('oversell', 'failed_reservation') then reference_id
    end as case_key,
    case when exception_type = 'unreconciled_event' then reference_id end as case_event
"""


@needs("exception_queue")
def exception_queue(data: SnapshotData, filters: Filters, **equal: str) -> pl.DataFrame:
    """Open exceptions ranked by impact, each with the case it is about (CASE_OF_EXCEPTION);
    `equal` narrows them by column value (workflow, exception_type)."""
    return data.select(
        f"""
        select impact_rank, exception_type, workflow, location_id, sku, reference_id,
            opened_at, age_h, units, value_at_cost, detail, as_of, {CASE_OF_EXCEPTION}
        from exception_queue {{where}}
        order by impact_rank
        """,
        at_locations(filters, **equal),
    )


@needs("exception_queue")
def exception_summary(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """Open exceptions and their value at cost per workflow and exception type."""
    return data.select(
        """
        select workflow, exception_type, count(*) as exceptions,
            coalesce(sum(value_at_cost), 0) as value_at_cost
        from exception_queue {where}
        group by workflow, exception_type
        order by value_at_cost desc
        """,
        at_locations(filters),
    )


@needs("exception_queue")
def exception_value_by_location(
    data: SnapshotData, filters: Filters, top: int = 15
) -> pl.DataFrame:
    """location_id, exception_type, exceptions, value_at_cost for the `top` locations by
    open exception value."""
    return data.select(
        """
        with by_type as (
            select location_id, exception_type, count(*) as exceptions,
                coalesce(sum(value_at_cost), 0) as value_at_cost
            from exception_queue {where}
            group by all
        ),
        worst as (
            select location_id from by_type group by location_id
            order by sum(value_at_cost) desc, location_id limit ?
        )
        select by_type.* from by_type inner join worst using (location_id)
        """,
        at_locations(filters, "location_id is not null"),
        top,
    )
