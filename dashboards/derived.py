"""What a publish adds beside the warehouse's tables: the differences with the previous
version (what changed since the previous run, which dbt cannot see: it only knows the
present) and the planners' work, replayed from the work log.

- `exception_changes`: `change` = 'opened' for an exception in this version's
  exception_queue and not in the previous version's, 'closed' for one the other way round
  (by exception_id), with its columns as the version that lists it has them.
- `source_changes`: per source system of int_source_watermarks, this version's watermark and
  freshness beside the previous version's watermark and event count: how far its watermark
  advanced and how many events arrived since.
- `exception_work`: every exception's state (dashboards/worklog.py) replayed from the work
  log; the manifest records the log's last sequence number (`worklog.seq`), so the pages add
  only the entries written after it.

The manifest's `previous` names the version compared with (the one `current` pointed at
when the publish began) and which of the two tables it had; None on a first publish.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from .worklog import Worklog, replay

COMPARED = ("exception_queue", "int_source_watermarks")
EXCEPTION_COLUMNS = (
    "exception_id, exception_type, workflow, reference_id, location_id, sku, opened_at, "
    "age_h, units, value_at_cost, detail"
)
WORK_SCHEMA = {
    "exception_id": pl.String,
    "status": pl.String,
    "owner": pl.String,
    "snoozed_until": pl.Date,
    "note": pl.String,
    "last_action": pl.String,
    "last_action_at": pl.Datetime("us"),  # UTC
    "last_action_by": pl.String,
    "actions": pl.Int64,
}


def _views_to_compare(
    scratch: duckdb.DuckDBPyConnection, table: str, staged: dict[str, Path], previous: Path | None
) -> bool:
    """`this_<table>` and `previous_<table>` views (the latter empty when the previous version
    lacks the table); True when there was something to compare with."""
    this = scratch.read_parquet(str(staged[table]))
    this.create_view(f"this_{table}")
    before = previous / f"{table}.parquet" if previous is not None else None
    # a previous version written before a column existed is not compared
    compared = before is not None and before.exists()
    if compared:
        earlier = scratch.read_parquet(str(before))
        compared = set(this.columns) <= set(earlier.columns)
    if compared:
        earlier.create_view(f"previous_{table}")
    else:
        scratch.execute(f"create view previous_{table} as select * from this_{table} where false")
    return compared


EXCEPTION_CHANGES = f"""
select 'opened' as change, {EXCEPTION_COLUMNS} from this_exception_queue as now
where not exists (
    select 1 from previous_exception_queue as before where before.exception_id = now.exception_id
)
union all
select 'closed' as change, {EXCEPTION_COLUMNS} from previous_exception_queue as before
where not exists (
    select 1 from this_exception_queue as now where now.exception_id = before.exception_id
)
"""

SOURCE_CHANGES = """
select
    now.source_system, now.is_regular_feed, now.watermark_at,
    before.watermark_at as previous_watermark_at,
    date_diff('second', before.watermark_at, now.watermark_at) / 3600.0 as watermark_advance_h,
    now.events, now.events - before.events as new_events,
    now.lag_behind_leader_h, now.max_lag_hours, now.is_lagging
from this_int_source_watermarks as now
left join previous_int_source_watermarks as before using (source_system)
order by now.is_lagging desc, now.lag_behind_leader_h desc nulls first, now.source_system
"""


def derived_tables(
    scratch: duckdb.DuckDBPyConnection,
    staged: dict[str, Path],
    previous: Path | None,
    worklog: Worklog | None,
) -> tuple[dict[str, tuple[str, str]], dict]:
    """({table: (select over `scratch`, source label)}, manifest entries) for a version whose
    exported tables are `staged`; `previous` is the previous version's folder."""
    tables: dict[str, tuple[str, str]] = {}
    compared = []
    if "exception_queue" in staged:
        changes = EXCEPTION_CHANGES
        if _views_to_compare(scratch, "exception_queue", staged, previous):
            compared.append("exception_queue")
        else:  # nothing to compare with is not "everything opened"
            changes = f"select * from ({EXCEPTION_CHANGES}) where false"
        tables["exception_changes"] = (changes, "derived: exception_queue vs previous")
    if "int_source_watermarks" in staged:
        if _views_to_compare(scratch, "int_source_watermarks", staged, previous):
            compared.append("int_source_watermarks")
        tables["source_changes"] = (SOURCE_CHANGES, "derived: int_source_watermarks vs previous")
    extras: dict = {"previous": _previous_entry(previous, compared)}
    if worklog is not None:
        entries = worklog.entries()
        states = replay(entries)
        frame = pl.DataFrame(
            [
                {**state.to_record(), "exception_id": key, "snoozed_until": state.snoozed_until,
                 "last_action_at": state.last_action_at.replace(tzinfo=None)}
                for key, state in states.items()
            ],
            schema=WORK_SCHEMA,
        )  # fmt: skip
        scratch.register("work_states", frame)
        tables["exception_work"] = ("select * from work_states", f"derived: {worklog.path}")
        extras["worklog"] = {
            "file": str(worklog.path),
            "seq": max((int(entry["seq"]) for entry in entries), default=0),
        }
    return tables, extras


def _previous_entry(previous: Path | None, compared: list[str]) -> dict | None:
    if previous is None:
        return None
    manifest = json.loads((previous / "manifest.json").read_text())
    return {
        **{key: manifest.get(key) for key in ("version", "published_at", "as_of", "horizon_date")},
        "compared": compared,
    }
