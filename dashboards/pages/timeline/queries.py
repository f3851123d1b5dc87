"""One case's timeline (case_events): its events across systems in order with the waits
between them, its state at the horizon, and the objects the data links it to."""

from __future__ import annotations

import polars as pl

from dashboards.data import SnapshotData, needs


@needs("case_events")
def case_events(data: SnapshotData, workflow: str, case_key: str) -> pl.DataFrame:
    """Every event of the case, in its order, with the case's state on each row."""
    return data.frame(
        "select * from case_events where workflow = ? and case_key = ? order by event_index",
        [workflow, case_key],
    )


@needs("case_events")
def case_of_event(data: SnapshotData, event_id: str) -> tuple[str, str] | None:
    """(workflow, case_key) of the case an event belongs to (the first, for an event that is
    on every line of its case); None when it is in no workflow case (e.g. a POS sale)."""
    found = data.row(
        "select workflow, case_key from case_events where event_id = ? "
        "order by workflow, case_key limit 1",
        [event_id],
    )
    return (found[0], found[1]) if found else None


@needs("case_events")
def other_lines(data: SnapshotData, workflow: str, case_id: str, case_key: str) -> pl.DataFrame:
    """The other lines of the same order, transfer or return: case_key, sku, case_stage."""
    return data.frame(
        """
        select case_key, min(sku) as sku, min(case_stage) as case_stage
        from case_events
        where workflow = ? and case_id = ? and case_key <> ?
        group by case_key
        order by case_key
        """,
        [workflow, case_id, case_key],
    )


@needs("case_events")
def reservations(data: SnapshotData, workflow: str, case_key: str) -> pl.DataFrame:
    """Per location the order line was reserved at: location_id, first_requested_at, and
    its requests, confirmations and failures."""
    return data.frame(
        """
        select location_id,
            min(occurred_at) filter (where event_type = 'reservation_requested')
                as first_requested_at,
            count(*) filter (where event_type = 'reservation_requested') as requests,
            count(*) filter (where event_type = 'reservation_confirmed') as confirmations,
            count(*) filter (where event_type = 'reservation_failed') as failures
        from case_events
        where workflow = ? and case_key = ? and event_type like 'reservation%'
        group by location_id
        order by first_requested_at nulls last, location_id
        """,
        [workflow, case_key],
    )


@needs("exception_queue")
def open_exceptions(
    data: SnapshotData, workflow: str, case_key: str, event_ids: list[str]
) -> pl.DataFrame:
    """The open exceptions on the case or on one of its events (how exception_queue.sql
    names them: <workflow>:<case_key> for a stalled case, the order line for an oversell or
    an unsourced failed reservation, the event_id for an unposted stock move)."""
    return data.frame(
        """
        select exception_type, reference_id, opened_at, age_h, value_at_cost, detail
        from exception_queue
        where reference_id = ? or (workflow = ? and reference_id = ?)
            or (exception_type = 'unreconciled_event' and list_contains(?::varchar[], reference_id))
        order by impact_rank
        """,
        [f"{workflow}:{case_key}", workflow, case_key, event_ids],
    )
