-- The edges of the process map (SPEC 5.1), case by case: one row per pair of consecutive
-- events of a case of int_event_log (each row there carries its successor), with the time
-- between them. process_transitions aggregates them into the performance directly-follows
-- graph.
-- Incremental: a build recomputes the edges of each (workflow, case_id) with an event
-- ingested since the last one, from all the case's events (a late event can reorder a case:
-- its edges are replaced, not appended); the others are kept (macros/incremental.sql).

{{ config(**incremental_by_key(['workflow', 'case_id'])) }}

with
{%- if is_incremental() %}
touched as (
    {{ touched_cases(process_workflows()) }}
),
{%- endif %}

steps as (
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
)

select
    workflow,
    case_id,
    case_key,
    from_event_index,
    from_activity,
    to_activity,
    duration_s,
    -- the edge's first occurrence in its case: process_transitions counts the cases with an
    -- edge by these flags, a sum where a count(distinct case_key) over all edges would cost
    -- most of the map
    row_number() over (
        partition by workflow, case_key, from_activity, to_activity
        order by from_event_index
    ) = 1 as is_first_in_case,
    {{ ingested_through() }} as ingested_through
from steps
