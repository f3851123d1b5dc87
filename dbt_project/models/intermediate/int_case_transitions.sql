-- The edges of the process map (SPEC 5.1), case by case: one row per pair of consecutive
-- events of a case of int_event_log (each row there carries its successor), with the time
-- between them. process_transitions aggregates them into the performance directly-follows
-- graph.
-- Incremental: a build recomputes the edges of each (workflow, case_id) with an event
-- ingested since the last one, from all the case's events (a late event can reorder a case:
-- its edges are replaced, not appended); the others are kept (macros/incremental.sql).

{{ config(**incremental_by_key(['workflow', 'case_id'])) }}

{#- The edges (of the touched cases only, on an incremental build): inlined where read, as in
    int_event_log, rather than a CTE DuckDB would materialize. -#}
{%- set edges -%}
    select
        event_log.workflow,
        event_log.case_id,
        event_log.case_key,
        event_log.case_event_index as from_event_index,
        event_log.activity as from_activity,
        event_log.next_activity as to_activity,
        {{ seconds_between('event_log.occurred_at', 'event_log.next_occurred_at') }} as duration_s
    from {{ ref('int_event_log') }} as event_log
    {%- if is_incremental() %}
    inner join touched
        on event_log.workflow = touched.workflow and event_log.case_id = touched.case_id
    {%- endif %}
    where event_log.next_activity is not null
{%- endset %}

with
{%- if is_incremental() %}
touched as (
    {{ touched_cases(process_workflows()) }}
),
{%- endif %}

-- the edges a case repeats (a loop: requested -> failed -> requested -> failed), a small
-- share, with their first occurrence in the case
repeated as (
    select workflow, case_key, from_activity, to_activity, min(from_event_index) as first_index
    from ({{ edges }}) as edges
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
    -- the edge's first occurrence in its case: process_transitions counts the cases with an
    -- edge by these flags, a sum where a count(distinct case_key) over all edges would cost
    -- most of the map
    coalesce(edges.from_event_index = repeated.first_index, true) as is_first_in_case,
    {{ ingested_through() }} as ingested_through
from ({{ edges }}) as edges
left join repeated
    on edges.workflow = repeated.workflow
    and edges.case_key = repeated.case_key
    and edges.from_activity = repeated.from_activity
    and edges.to_activity = repeated.to_activity
