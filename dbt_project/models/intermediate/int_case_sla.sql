-- Each process case against its deadline at the data horizon (SPEC 5.1).
--   stage_sla       an open case is stalled once its last event is older than the SLA of the
--                   stage it sits in (var stalled_case_sla_hours: "<workflow>.<last activity>",
--                   then "<workflow>", then "default")
--   po_expected_at  a purchase order is stalled (late) once the horizon is past its latest
--                   expected_at plus po_late_grace_hours without a full receipt
--                   (int_purchase_orders.is_late); a PO without any expected_at falls back to
--                   the stage SLA
-- Cases come from int_process_cases, which sees the events up to the horizon only.
-- A view: every row's age_h and as_of move with the horizon, so a stored copy would be
-- rewritten whole on every run; its inputs are incremental (int_process_cases,
-- int_purchase_orders) and what it adds is a lookup per case.

{{ config(materialized='view') }}

with cases as (
    select * from {{ ref('int_process_cases') }}
),

purchase_orders as (
    select po_id, expected_at, due_at, is_late, is_fully_received
    from {{ ref('int_purchase_orders') }}
),

horizon as (
    select horizon_at from {{ ref('int_data_horizon') }}
),

ruled as (
    select
        cases.*,
        horizon.horizon_at,
        purchase_orders.expected_at,
        purchase_orders.is_late as is_po_late,
        case when purchase_orders.due_at is not null then 'po_expected_at' else 'stage_sla' end as sla_rule,
        -- a PO stays open until received in full; other cases until their terminal event
        case
            when purchase_orders.due_at is not null then not coalesce(purchase_orders.is_fully_received, false)
            else not cases.is_closed
        end as is_open,
        {{ stalled_sla_hours('cases.workflow', 'cases.last_activity') }} as stage_sla_hours,
        purchase_orders.due_at as po_due_at
    from cases
    cross join horizon
    left join purchase_orders
        on cases.workflow = 'replenishment' and cases.case_key = purchase_orders.po_id
),

deadlines as (
    select
        ruled.*,
        case when sla_rule = 'stage_sla' then stage_sla_hours end as sla_hours,
        case
            when sla_rule = 'po_expected_at' then po_due_at
            else {{ dbt.dateadd('second', 'cast(round(stage_sla_hours * 3600) as bigint)', 'last_event_at') }}
        end as due_at
    from ruled
)

select
    workflow,
    case_key,
    case_id,
    sku,
    location_id,
    first_activity,
    last_activity as stage,
    first_event_at,
    last_event_at,
    is_open,
    sla_rule,
    cast(sla_hours as double) as sla_hours,
    expected_at,
    cast(due_at as {{ dbt.type_timestamp() }}) as due_at,
    {{ seconds_between('last_event_at', 'horizon_at') }} / 3600.0 as age_h,
    case when is_open then {{ seconds_between('due_at', 'horizon_at') }} / 3600.0 end as hours_over_sla,
    coalesce(
        is_open and case when sla_rule = 'po_expected_at' then is_po_late else horizon_at > due_at end,
        false
    ) as is_stalled,
    units,
    value_at_cost,
    horizon_at as as_of
from deadlines
