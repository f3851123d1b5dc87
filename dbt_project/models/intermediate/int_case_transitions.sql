-- The edges of the process map (SPEC 5.1), case by case: one row per pair of consecutive
-- events of a case of int_event_log, with the time between them. process_transitions
-- aggregates them into the performance directly-follows graph.
-- Incremental: a build recomputes the edges of each (workflow, case_id) with an event
-- ingested since the last one, from all the case's events (a late event can reorder a case:
-- its edges are replaced, not appended); the others are kept (macros/incremental.sql).

{{ config(**incremental_by_key(['workflow', 'case_id'])) }}
-- depends_on: {{ ref('stg_inventory_events') }}

with
{%- if is_incremental() %}
touched as (
    {{ touched_cases(process_workflows()) }}
),
{%- endif %}

event_log as (
    select event_log.workflow, event_log.case_id, event_log.case_key, event_log.activity,
        event_log.occurred_at, event_log.case_event_index
    from {{ ref('int_event_log') }} as event_log
    {%- if is_incremental() %}
    inner join touched
        on event_log.workflow = touched.workflow and event_log.case_id = touched.case_id
    {%- endif %}
),

steps as (
    select
        workflow,
        case_id,
        case_key,
        case_event_index as from_event_index,
        activity as from_activity,
        occurred_at as from_at,
        lead(activity) over (partition by workflow, case_key order by case_event_index) as to_activity,
        lead(occurred_at) over (partition by workflow, case_key order by case_event_index) as to_at
    from event_log
)

select
    workflow,
    case_id,
    case_key,
    from_event_index,
    from_activity,
    to_activity,
    from_at,
    to_at,
    {{ seconds_between('from_at', 'to_at') }} as duration_s,
    {{ ingested_through() }} as ingested_through
from steps
where to_activity is not null
