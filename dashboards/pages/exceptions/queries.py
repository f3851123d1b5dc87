"""What is open as of the snapshot, from exception_queue (dates do not apply: it is a work list
of what is open now), and what planners did about it (the work log). The orders and
reconciliation pages list their share of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl

from dashboards.data import SnapshotData, at_locations, needs
from dashboards.filters import Filters
from dashboards.worklog import STATUSES, WorkState

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
        select impact_rank, exception_id, exception_type, workflow, location_id, sku,
            reference_id, opened_at, age_h, units, value_at_cost, detail, as_of,
            {CASE_OF_EXCEPTION}
        from exception_queue {{where}}
        order by impact_rank
        """,
        at_locations(filters, **equal),
    )


def exceptions_by(data: SnapshotData, filters: Filters, table: str, by: str) -> pl.DataFrame:
    """`by` (columns), exceptions and their value at cost, largest first, over a table of
    exceptions (`table` and `by` are code constants; the filters are bound)."""
    return data.select(
        f"""
        select {by}, count(*) as exceptions, coalesce(sum(value_at_cost), 0) as value_at_cost
        from {table} {{where}}
        group by {by}
        order by value_at_cost desc, {by}
        """,
        at_locations(filters),
    )


@needs("exception_queue")
def exception_summary(data: SnapshotData, filters: Filters) -> pl.DataFrame:
    """Open exceptions and their value at cost per workflow and exception type."""
    return exceptions_by(data, filters, "exception_queue", "workflow, exception_type")


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


def work_states(data: SnapshotData) -> dict[str, WorkState]:
    """What has been done about each exception: the snapshot's states (exception_work, as
    of its publish) plus the work log's entries written since, so an action shows at once."""
    recorded = data.snapshot.manifest.get("worklog") or {}
    start: dict[str, WorkState] = {}
    if data.has("exception_work"):
        rows = data.frame("select * from exception_work").iter_rows(named=True)
        start = {row["exception_id"]: WorkState.from_record(row) for row in rows}
    if data.desk is None:
        return start
    worklog = data.desk.worklog
    if Path(recorded.get("file") or "").resolve() != worklog.path.resolve():
        return worklog.states()  # the snapshot was published from another home's log
    return worklog.states(after_seq=int(recorded.get("seq") or 0), start=start)


WORK_COLUMNS = {
    "status": pl.String,
    "owner": pl.String,
    "last_action": pl.String,
    "idle_h": pl.Float64,
    "note": pl.String,
}


PAST_TENSE = {
    "assign": "assigned",
    "acknowledge": "acknowledged",
    "snooze": "snoozed",
    "resolve": "resolved",
    "reopen": "reopened",
}


def _last_action(state: WorkState) -> str | None:
    if state.last_action is None:
        return None
    until = f" until {state.snoozed_until}" if state.last_action == "snooze" else ""
    return f"{PAST_TENSE[state.last_action]}{until} by {state.last_action_by}"


@needs("exception_queue")
def worked_queue(data: SnapshotData, filters: Filters, now: datetime) -> pl.DataFrame:
    """The open exceptions ranked by impact with what has been done about them: status (a
    snooze that ended by `now` reads open again), owner, the last action and the hours since
    it (the wall clock: actions happen now, not at the data's time), the last note."""
    queue = exception_queue(data, filters)
    states = work_states(data)
    work = []
    for exception_id in queue["exception_id"].to_list():
        state = states.get(exception_id, WorkState())
        since = state.last_action_at and (now - state.last_action_at).total_seconds() / 3600
        work.append(
            {
                "status": state.shown_status(now.date()),
                "owner": state.owner,
                "last_action": _last_action(state),
                "idle_h": since,
                "note": state.note,
            }
        )
    return pl.concat([queue, pl.DataFrame(work, schema=WORK_COLUMNS)], how="horizontal")


def status_counts(frame: pl.DataFrame) -> dict[str, int]:
    """Exceptions per status of a worked queue, every status listed."""
    counts = dict(frame.group_by("status").len().iter_rows())
    return {status: counts.get(status, 0) for status in STATUSES}


@needs("exception_queue")
def known_exception_ids(data: SnapshotData, exception_ids: Sequence[str]) -> set[str]:
    """Those of `exception_ids` the snapshot's queue lists (the ids come from the browser:
    bound as a parameter, never pasted into the SQL)."""
    rows = data.frame(
        "select exception_id from exception_queue where list_contains(?::varchar[], exception_id)",
        [list(exception_ids)],
    )
    return set(rows["exception_id"].to_list())
