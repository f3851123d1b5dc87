"""Process intelligence on an imported object-centric log, as DuckDB views in its schema.

The views keep the shape of the retail dbt models, so one definition serves both:

| view | dbt counterpart | grain |
|---|---|---|
| event_log | intermediate.int_event_log | event × object (workflow = the object's type, case_key = the object) |
| case_transitions | intermediate.int_case_transitions | pair of consecutive events of an object |
| process_transitions | marts.process_transitions | object type × from_activity × to_activity (performance DFG) |
| ocdfg_event_couples | – | object type × edge, counting distinct event pairs (pm4py OC-DFG "event_couples") |
| cases | intermediate.int_process_cases | object of the case type |
| stalled_cases | marts.stalled_cases | open case of the case type older than its SLA at the horizon |
| case_timeline | – | event of a case of the case type, with the wait since the one before |

case_transitions and process_transitions are the SQL of dbt's int_case_transitions and
process_transitions models with their macros rendered for DuckDB (seconds_between -> epoch
difference, percentile_cont -> quantile_cont); tests/test_ocel.py runs dbt's compiled models
on an imported log and checks they agree.
Events of a case are ordered by time, then by their position in the source file, then by
type, as pm4py orders them. The horizon ("as of") is the log's latest event time.

Settings (table `settings`, one row): case_type, sla_hours; table `terminal_activities`
(activity) and `stage_sla_hours` (activity, sla_hours) refine them. `configure` edits them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import duckdb

from omnistock.ocel.model import checked_schema

DEFAULT_SLA_HOURS = 72.0


def schema_for(name: str) -> str:
    """The warehouse schema of the imported log `name`: ocel_<name, lower-case, _ for others>."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    if not cleaned:
        raise ValueError(f"a log name needs a letter or digit: {name!r}")
    return checked_schema(f"ocel_{cleaned}")


def create_process_views(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    s = checked_schema(schema)
    con.execute(f"create table if not exists {s}.settings (case_type VARCHAR, sla_hours DOUBLE)")
    con.execute(f"create table if not exists {s}.terminal_activities (activity VARCHAR)")
    con.execute(
        f"create table if not exists {s}.stage_sla_hours (activity VARCHAR, sla_hours DOUBLE)"
    )
    for name, sql in _views(s).items():
        con.execute(f"create or replace view {s}.{name} as {sql}")


def _views(s: str) -> dict[str, str]:
    return {
        "event_log": f"""
            -- one row per event and related object: each object is a case of its type
            with relations as (
                select distinct relations.event_id, relations.object_id, objects.object_type
                from {s}.event_objects as relations
                inner join (select distinct object_id, object_type from {s}.objects) as objects
                    using (object_id)
            )
            select
                relations.object_type as workflow,
                relations.object_id as case_key,
                relations.object_id as case_id,
                events.event_type as activity,
                events.occurred_at,
                events.event_id,
                events.source_order,
                row_number() over case_order as case_event_index,
                lead(events.event_type) over case_order as next_activity,
                lead(events.occurred_at) over case_order as next_occurred_at,
                events.event_type in (select activity from {s}.terminal_activities)
                    as is_terminal
            from relations
            inner join {s}.events as events using (event_id)
            where events.occurred_at is not null
            window case_order as (
                partition by relations.object_type, relations.object_id
                order by events.occurred_at, events.source_order, events.event_type,
                    events.event_id
            )
        """,
        "case_transitions": f"""
            with
            edges as (
                select
                    event_log.workflow,
                    event_log.case_id,
                    event_log.case_key,
                    event_log.case_event_index as from_event_index,
                    event_log.activity as from_activity,
                    event_log.next_activity as to_activity,
                    (epoch(event_log.next_occurred_at) - epoch(event_log.occurred_at)) as duration_s
                from {s}.event_log as event_log
                where event_log.next_activity is not null
            ),
            repeated as (
                select workflow, case_key, from_activity, to_activity, min(from_event_index) as first_index
                from edges
                group by workflow, case_key, from_activity, to_activity
                having count(*) > 1
            )
            select
                edges.workflow,
                edges.case_id,
                edges.case_key,
                edges.from_event_index,
                edges.from_activity,
                edges.to_activity,
                edges.duration_s,
                coalesce(edges.from_event_index = repeated.first_index, true) as is_first_in_case
            from edges
            left join repeated
                on edges.workflow = repeated.workflow
                and edges.case_key = repeated.case_key
                and edges.from_activity = repeated.from_activity
                and edges.to_activity = repeated.to_activity
        """,  # kept with dbt's int_case_transitions.sql (less its watermark and incremental filter)
        "process_transitions": f"""
            with edges as (
                select workflow, from_activity, to_activity, duration_s, is_first_in_case
                from {s}.case_transitions
            )
            select
                cast(workflow as varchar) as workflow,
                cast(from_activity as varchar) as from_activity,
                cast(to_activity as varchar) as to_activity,
                cast(count(*) as bigint) as transition_count,
                cast(sum(case when is_first_in_case then 1 else 0 end) as bigint) as case_count,
                cast(avg(duration_s) as double) as mean_duration_s,
                cast(quantile_cont(duration_s, 0.5) as double) as p50_duration_s,
                cast(quantile_cont(duration_s, 0.95) as double) as p95_duration_s,
                cast(min(duration_s) as double) as min_duration_s,
                cast(max(duration_s) as double) as max_duration_s
            from edges
            group by workflow, from_activity, to_activity
        """,  # kept line for line with dbt's process_transitions.sql
        "ocdfg_event_couples": f"""
            -- an edge once per pair of events, however many objects of the type share it
            with steps as (
                select
                    workflow,
                    activity as from_activity,
                    event_id as from_event_id,
                    occurred_at as from_at,
                    lead(activity) over cases as to_activity,
                    lead(event_id) over cases as to_event_id,
                    lead(occurred_at) over cases as to_at
                from {s}.event_log
                window cases as (partition by workflow, case_key order by case_event_index)
            ),
            couples as (
                select distinct workflow, from_activity, to_activity, from_event_id, to_event_id,
                    epoch(to_at) - epoch(from_at) as duration_s
                from steps
                where to_event_id is not null
            )
            select
                workflow,
                from_activity,
                to_activity,
                count(*) as event_couple_count,
                avg(duration_s) as mean_duration_s,
                quantile_cont(duration_s, 0.5) as p50_duration_s,
                quantile_cont(duration_s, 0.95) as p95_duration_s
            from couples
            group by workflow, from_activity, to_activity
        """,
        "cases": f"""
            select
                workflow,
                case_key,
                min(case_id) as case_id,
                arg_min(activity, case_event_index) as first_activity,
                arg_max(activity, case_event_index) as last_activity,
                min(occurred_at) as first_event_at,
                max(occurred_at) as last_event_at,
                count(*) as event_count,
                bool_or(is_terminal) as is_closed,
                min(occurred_at) filter (is_terminal) as closed_at
            from {s}.event_log
            where workflow = (select case_type from {s}.settings)
            group by workflow, case_key
        """,
        "stalled_cases": f"""
            with as_of as (select max(occurred_at) as as_of from {s}.events),
            aged as (
                select
                    cases.*,
                    as_of.as_of,
                    (epoch(as_of.as_of) - epoch(cases.last_event_at)) / 3600.0 as age_h,
                    coalesce(stages.sla_hours, settings.sla_hours) as sla_hours
                from {s}.cases as cases
                cross join as_of
                cross join {s}.settings as settings
                left join {s}.stage_sla_hours as stages on stages.activity = cases.last_activity
                where not cases.is_closed
            )
            select
                workflow, case_key, case_id, first_activity, last_activity as stage,
                first_event_at, last_event_at, event_count, age_h, sla_hours,
                age_h - sla_hours as hours_over_sla, as_of
            from aged
            where age_h > sla_hours
        """,
        "case_timeline": f"""
            with related as (
                select relations.event_id,
                    list({{'object_id': relations.object_id,
                        'object_type': objects.object_type,
                        'qualifier': relations.qualifier}}
                        order by relations.source_order) as objects
                from {s}.event_objects as relations
                left join {s}.objects as objects using (object_id)
                group by relations.event_id
            )
            select
                log.workflow,
                log.case_key,
                log.case_event_index,
                log.event_id,
                log.activity,
                log.occurred_at,
                epoch(log.occurred_at) - epoch(lag(log.occurred_at) over timeline) as wait_s,
                epoch(log.occurred_at) - epoch(first_value(log.occurred_at) over timeline)
                    as elapsed_s,
                log.is_terminal,
                events.attributes,
                related.objects
            from {s}.event_log as log
            inner join {s}.events as events using (event_id)
            left join related using (event_id)
            where log.workflow = (select case_type from {s}.settings)
            window timeline as (partition by log.case_key order by log.case_event_index)
        """,
    }


def configure(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    case_type: str | None = None,
    sla_hours: float | None = None,
    terminal_activities: Iterable[str] | None = None,
    stage_sla_hours: Mapping[str, float] | None = None,
) -> None:
    """Change what the views of log `name` take as the case, the SLA and the terminal
    activities (None leaves a setting as it is)."""
    s = schema_for(name)
    if case_type is not None:
        known = {
            row[0]
            for row in con.execute(f"select distinct object_type from {s}.object_types").fetchall()
        }
        if case_type not in known:
            raise ValueError(
                f"no object type {case_type!r} in log {name!r}; its types: {', '.join(sorted(known))}"
            )
    current = con.execute(f"select case_type, sla_hours from {s}.settings").fetchone()
    old_case_type, old_sla_hours = current or (None, DEFAULT_SLA_HOURS)
    con.execute(f"delete from {s}.settings")
    con.execute(
        f"insert into {s}.settings values (?, ?)",
        [case_type or old_case_type, old_sla_hours if sla_hours is None else float(sla_hours)],
    )
    if terminal_activities is not None:
        con.execute(f"delete from {s}.terminal_activities")
        activities = [[activity] for activity in dict.fromkeys(terminal_activities)]
        if activities:
            con.executemany(f"insert into {s}.terminal_activities values (?)", activities)
    if stage_sla_hours is not None:
        con.execute(f"delete from {s}.stage_sla_hours")
        if stage_sla_hours:
            con.executemany(
                f"insert into {s}.stage_sla_hours values (?, ?)",
                [[activity, float(hours)] for activity, hours in stage_sla_hours.items()],
            )


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    result = con.execute(sql, params or [])
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def process_map(
    con: duckdb.DuckDBPyConnection, name: str, object_type: str | None = None
) -> list[dict]:
    """The performance DFG of log `name`: every object type's edges (or one type's), most
    frequent first."""
    s = schema_for(name)
    where = "where workflow = ?" if object_type is not None else ""
    return _rows(
        con,
        f"""select * from {s}.process_transitions {where}
        order by workflow, transition_count desc, from_activity, to_activity""",
        [object_type] if object_type is not None else [],
    )


def ocdfg_event_couples(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    s = schema_for(name)
    return _rows(
        con,
        f"""select * from {s}.ocdfg_event_couples
        order by workflow, event_couple_count desc, from_activity, to_activity""",
    )


def stalled_cases(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    """Open cases of the case type older than their SLA at the log's horizon, oldest first."""
    s = schema_for(name)
    return _rows(con, f"select * from {s}.stalled_cases order by hours_over_sla desc, case_key")


def case_timeline(con: duckdb.DuckDBPyConnection, name: str, case_key: str) -> list[dict]:
    """Every event of one case (an object of the case type) in order, with the waits."""
    s = schema_for(name)
    return _rows(
        con,
        f"select * from {s}.case_timeline where case_key = ? order by case_event_index",
        [case_key],
    )


def describe_log(con: duckdb.DuckDBPyConnection, name: str, top: int = 10) -> str:
    """A console summary of log `name`: its case type's busiest edges and stalled cases."""
    s = schema_for(name)
    case_type, sla_hours = con.execute(f"select case_type, sla_hours from {s}.settings").fetchone()
    terminal = [
        row[0] for row in con.execute(f"select activity from {s}.terminal_activities").fetchall()
    ]
    cases = con.execute(f"select count(*) from {s}.cases").fetchone()[0]
    edges = process_map(con, name, case_type)
    stalled = stalled_cases(con, name)
    lines = [
        f"{cases} {case_type} cases; terminal activities: {', '.join(terminal) or 'none set'}; "
        f"SLA {sla_hours:g} h",
        f"Process map of {case_type} ({len(edges)} edges; top {min(top, len(edges))}):",
    ]
    lines += [
        f"  {e['from_activity']} -> {e['to_activity']}: {e['transition_count']}x, "
        f"p50 {e['p50_duration_s'] / 3600:.1f} h, p95 {e['p95_duration_s'] / 3600:.1f} h"
        for e in edges[:top]
    ]
    lines.append(
        f"Stalled cases at {stalled[0]['as_of'] if stalled else 'the horizon'}: {len(stalled)}"
    )
    lines += [
        f"  {c['case_key']}: at {c['stage']} for {c['age_h']:.1f} h (SLA {c['sla_hours']:g} h)"
        for c in stalled[:5]
    ]
    lines.append(
        f"Query schema {s}: event_log, case_transitions, process_transitions, "
        "ocdfg_event_couples, cases, stalled_cases, case_timeline."
    )
    return "\n".join(lines)
