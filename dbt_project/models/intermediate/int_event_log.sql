-- The generic process event log of the case-based workflows (SPEC 5.1): one row per event
-- and case, in the usual process-mining shape (workflow, case_key, activity, occurred_at).
-- The process map (int_case_transitions, process_transitions) and the stalled-case marts read
-- only these columns, so another log (e.g. an OCEL 2.0 import) unioned in here feeds them too.
-- Cases: order, transfer and return lines are case_id + sku; purchase orders are case_id.
-- Incremental: a build re-ranks every event of each (workflow, case_id) with an event ingested
-- since the last one, all its lines included (a late event can reorder a case, a late line
-- event adds a line that its case-level events then reach); the others are kept
-- (macros/incremental.sql).

{{ config(**incremental_by_key(['workflow', 'case_id'])) }}

{#- The workflows' events (of the touched cases only, on an incremental build). Inlined where
    it is read rather than a CTE read three times: DuckDB would materialize such a CTE, a copy
    of every event, where each reader scans only its columns and rows. -#}
{%- set process_events -%}
    select events.*
    from {{ ref('stg_inventory_events') }} as events
    {%- if is_incremental() %}
    inner join touched
        on events.workflow = touched.workflow and events.case_id = touched.case_id
    {%- endif %}
    where events.workflow in {{ sql_list(process_workflows()) }}
{%- endset %}

with
{%- if is_incremental() %}
touched as (
    {{ touched_cases(process_workflows()) }}
),
{%- endif %}

-- events of one case: an order, transfer or return line (case_id|sku), or a purchase order
own_case_events as (
    select
        workflow,
        case
            when workflow = 'replenishment' then case_id
            else {{ dbt.concat(['case_id', "'|'", 'sku']) }}
        end as case_key,
        case_id, sku, event_type, occurred_at, event_id, location_id, quantity, source_system, reason_code
    from ({{ process_events }}) as events
    where workflow = 'replenishment' or sku is not null
),

-- transfer_approved and refund_issued name no sku: they happen to every line of their case
case_level_events as (
    select * from ({{ process_events }}) as events
    where workflow <> 'replenishment' and sku is null
),

-- the lines of the cases that have such events (a small share of all lines)
case_lines as (
    select distinct lines.workflow, lines.case_id, lines.sku
    from ({{ process_events }}) as lines
    inner join (select distinct workflow, case_id from case_level_events) as cases
        on lines.workflow = cases.workflow and lines.case_id = cases.case_id
    where lines.workflow <> 'replenishment' and lines.sku is not null
),

case_events as (
    select * from own_case_events

    union all

    select
        events.workflow,
        {{ dbt.concat(['events.case_id', "'|'", 'lines.sku']) }} as case_key,
        events.case_id,
        lines.sku,
        events.event_type,
        events.occurred_at,
        events.event_id,
        events.location_id,
        events.quantity,
        events.source_system,
        events.reason_code
    from case_level_events as events
    inner join case_lines as lines
        on events.workflow = lines.workflow
        and events.case_id = lines.case_id
),

ranked as (
    select
        case_events.*,
        {{ activity_rank('event_type') }} as activity_rank
    from case_events
)

-- One sort of each case's events gives its order and each event's successor (the edge to
-- the next event that process_transitions aggregates): the same window, computed once.
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
    row_number() over case_order as case_event_index,
    lead(event_type) over case_order as next_activity,
    lead(occurred_at) over case_order as next_occurred_at,
    {{ is_terminal_event('event_type', 'reason_code') }} as is_terminal,
    location_id,
    quantity,
    source_system,
    reason_code,
    {{ ingested_through() }} as ingested_through
from ranked
window case_order as (
    partition by workflow, case_key
    order by occurred_at, activity_rank, event_id
)
