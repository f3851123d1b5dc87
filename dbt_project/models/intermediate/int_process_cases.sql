-- One row per case of the event log as the data horizon sees it: first and last activity,
-- whether a terminal event closed it, where it last was, and its units and value at cost (the
-- quantity of its opening activity, e.g. order_placed, transfer_requested, po_created).
-- Events after horizon_at are not seen yet (SPEC 5.1: open states are judged at the horizon),
-- so a case is open or stalled whatever a leading or late feed says about later hours.
-- Incremental: a build recomputes the cases (all lines of a case_id) that the data horizon
-- sees differently now (macros/incremental.sql):
--   - an event ingested since the last build;
--   - an event the horizon's move brings into view: stored cases are built from every event
--     up to the previous horizon, so the latest stored last_event_at is the last event it
--     saw, and an event after it up to the new horizon is new to the model (forwards);
--   - a stored last_event_at after the new horizon (backwards: the case loses events), and
--     the pre-hook drops the cases that start after it (they lose all).
-- The others are kept.

{{
    config(
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} where first_event_at > (select horizon_at from {{ ref('int_data_horizon') }}){% endif %}"
        ],
        **incremental_by_key(['workflow', 'case_key'])
    )
}}

with horizon as (
    select horizon_at from {{ ref('int_data_horizon') }}
),

{% if is_incremental() -%}
affected_cases as (
    select workflow, case_id from ({{ touched_cases(process_workflows()) }}) as touched
    union
    select events.workflow, events.case_id
    from {{ ref('stg_inventory_events') }} as events
    cross join horizon
    where events.workflow in {{ sql_list(process_workflows()) }}
        and events.occurred_at > (select max(last_event_at) from {{ this }})
        and events.occurred_at <= horizon.horizon_at
    union
    select stored.workflow, stored.case_id
    from {{ this }} as stored
    cross join horizon
    where stored.last_event_at > horizon.horizon_at
),
{%- endif %}

event_log as (
    select event_log.*
    from {{ ref('int_event_log') }} as event_log
    inner join horizon on event_log.occurred_at <= horizon.horizon_at
    {% if is_incremental() -%}
    inner join affected_cases
        on event_log.workflow = affected_cases.workflow
        and event_log.case_id = affected_cases.case_id
    {%- endif %}
),

skus as (
    select sku, unit_cost from {{ ref('stg_skus') }}
),

cases as (
    select
        workflow,
        case_key,
        min(case_id) as case_id,
        case when count(distinct sku) = 1 then min(sku) end as sku,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        count(*) as event_count,
        sum(case when is_terminal then 1 else 0 end) > 0 as is_closed,
        min(case when is_terminal then occurred_at end) as closed_at
    from event_log
    group by workflow, case_key
),

boundary_events as (
    select
        event_log.workflow,
        event_log.case_key,
        max(case when event_log.case_event_index = 1 then event_log.activity end) as first_activity,
        max(case when event_log.case_event_index = cases.event_count then event_log.activity end) as last_activity
    from event_log
    inner join cases
        on event_log.workflow = cases.workflow and event_log.case_key = cases.case_key
    group by event_log.workflow, event_log.case_key
),

last_locations as (
    select workflow, case_key, location_id
    from (
        select
            workflow,
            case_key,
            location_id,
            row_number() over (partition by workflow, case_key order by case_event_index desc) as recency
        from event_log
        where location_id is not null
    ) as ranked
    where recency = 1
),

opening_quantities as (
    select
        event_log.workflow,
        event_log.case_key,
        sum(event_log.quantity) as units,
        sum(event_log.quantity * skus.unit_cost) as value_at_cost
    from event_log
    inner join boundary_events as boundaries
        on event_log.workflow = boundaries.workflow
        and event_log.case_key = boundaries.case_key
        and event_log.activity = boundaries.first_activity
    left join skus
        on event_log.sku = skus.sku
    group by event_log.workflow, event_log.case_key
)

select
    cases.workflow,
    cases.case_key,
    cases.case_id,
    cases.sku,
    boundaries.first_activity,
    boundaries.last_activity,
    cases.first_event_at,
    cases.last_event_at,
    cases.event_count,
    cases.is_closed,
    cases.closed_at,
    locations.location_id,
    quantities.units,
    quantities.value_at_cost,
    {{ ingested_through() }} as ingested_through
from cases
inner join boundary_events as boundaries
    on cases.workflow = boundaries.workflow and cases.case_key = boundaries.case_key
left join last_locations as locations
    on cases.workflow = locations.workflow and cases.case_key = locations.case_key
left join opening_quantities as quantities
    on cases.workflow = quantities.workflow and cases.case_key = quantities.case_key
