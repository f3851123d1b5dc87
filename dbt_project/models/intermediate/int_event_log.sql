-- The generic process event log of the case-based workflows (SPEC 5.1): one row per event
-- and case, in the usual process-mining shape (workflow, case_key, activity, occurred_at).
-- process_transitions and the stalled-case marts read only these columns, so another log
-- (e.g. an OCEL 2.0 import) unioned in here feeds them too.
-- Cases: order, transfer and return lines are case_id + sku; purchase orders are case_id.
-- Incremental: a build re-ranks every event of each (workflow, case_id) with an event ingested
-- since the last one, all its lines included (a late event can reorder a case, a late line
-- event adds a line that its case-level events then reach); the others are kept
-- (macros/incremental.sql).

{{ config(**incremental_by_key(['workflow', 'case_id'])) }}

with
{%- if is_incremental() %}
touched as (
    {{ touched_cases(process_workflows()) }}
),
{%- endif %}

workflow_events as (
    select events.*
    from {{ ref('stg_inventory_events') }} as events
    {%- if is_incremental() %}
    inner join touched
        on events.workflow = touched.workflow and events.case_id = touched.case_id
    {%- endif %}
    where events.workflow in {{ sql_list(process_workflows()) }}
),

line_events as (
    select * from workflow_events
    where workflow <> 'replenishment' and sku is not null
),

case_lines as (
    select distinct workflow, case_id, sku from line_events
),

-- transfer_approved and refund_issued name no sku: they happen to every line of their case
case_level_events as (
    select
        events.event_id,
        events.workflow,
        events.case_id,
        lines.sku,
        events.event_type,
        events.occurred_at,
        events.location_id,
        events.quantity,
        events.source_system,
        events.reason_code
    from workflow_events as events
    inner join case_lines as lines
        on events.workflow = lines.workflow
        and events.case_id = lines.case_id
    where events.workflow <> 'replenishment' and events.sku is null
),

case_events as (
    select
        workflow,
        {{ dbt.concat(['case_id', "'|'", 'sku']) }} as case_key,
        case_id, sku, event_type, occurred_at, event_id, location_id, quantity, source_system, reason_code
    from line_events

    union all

    select
        workflow,
        {{ dbt.concat(['case_id', "'|'", 'sku']) }} as case_key,
        case_id, sku, event_type, occurred_at, event_id, location_id, quantity, source_system, reason_code
    from case_level_events

    union all

    select
        workflow,
        case_id as case_key,
        case_id, sku, event_type, occurred_at, event_id, location_id, quantity, source_system, reason_code
    from workflow_events
    where workflow = 'replenishment'
),

ranked as (
    select
        case_events.*,
        {{ activity_rank('event_type') }} as activity_rank
    from case_events
)

select
    workflow,
    case_key,
    case_id,
    sku,
    event_type as activity,
    occurred_at,
    event_id,
    activity_rank,
    -- position in the case: by time, then the workflow's normal order for ties, then id
    row_number() over (
        partition by workflow, case_key
        order by occurred_at, activity_rank, event_id
    ) as case_event_index,
    {{ is_terminal_event('event_type', 'reason_code') }} as is_terminal,
    location_id,
    quantity,
    source_system,
    reason_code,
    {{ ingested_through() }} as ingested_through
from ranked
