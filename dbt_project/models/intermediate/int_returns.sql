-- Return lines (case_id + sku): initiation, receipt, inspection (disposition), restock and
-- refund. Closed by a restock, or by an inspection whose disposition is not restock (SPEC 5.1).
-- Incremental: a build recomputes the returns with an event ingested since the last one (all
-- their lines, from all their events); the others are kept (macros/incremental.sql).

{{ config(**incremental_by_key(['return_id'])) }}

with return_events as (
    select * from {{ ref('stg_inventory_events') }}
    where workflow = 'return'
    {% if is_incremental() -%}
    and case_id in (select case_id from ({{ touched_cases(['return']) }}) as touched)
    {%- endif %}
),

-- refund_issued names no sku: it refunds the whole return
refunds as (
    select case_id as return_id, min(occurred_at) as refunded_at
    from return_events
    where event_type = 'refund_issued'
    group by case_id
),

first_inspections as (
    select return_id, sku, disposition
    from (
        select
            case_id as return_id,
            sku,
            reason_code as disposition,
            row_number() over (partition by case_id, sku order by occurred_at, event_id) as inspection_rank
        from return_events
        where event_type = 'return_inspected'
    ) as ranked
    where inspection_rank = 1
),

lines as (
    select
        case_id as return_id,
        sku,
        min(case when event_type = 'return_initiated' then channel end) as channel,
        min(case when event_type = 'return_initiated' then occurred_at end) as initiated_at,
        sum(case when event_type = 'return_initiated' then quantity else 0 end) as initiated_quantity,
        min(case when event_type = 'return_received' then location_id end) as receiving_location_id,
        min(case when event_type = 'return_received' then occurred_at end) as received_at,
        sum(case when event_type = 'return_received' then quantity else 0 end) as received_quantity,
        min(case when event_type = 'return_inspected' then occurred_at end) as inspected_at,
        min(case when event_type = 'return_restocked' then occurred_at end) as restocked_at,
        sum(case when event_type = 'return_restocked' then quantity else 0 end) as restocked_quantity,
        min(case when event_type = 'return_inspected' then location_id end) as inspection_location_id,
        max(occurred_at) as last_event_at
    from return_events
    where sku is not null
    group by case_id, sku
)

select
    lines.return_id,
    lines.sku,
    lines.channel,
    coalesce(lines.receiving_location_id, lines.inspection_location_id) as location_id,
    lines.initiated_at,
    lines.received_at,
    cast(lines.received_at as date) as receipt_date,
    lines.inspected_at,
    inspections.disposition,
    lines.restocked_at,
    refunds.refunded_at,
    lines.initiated_quantity,
    lines.received_quantity,
    lines.restocked_quantity,
    {{ seconds_between('lines.received_at', 'lines.inspected_at') }} / 3600.0 as disposition_time_h,
    (lines.restocked_at is not null
        or (lines.inspected_at is not null and coalesce(inspections.disposition, '') <> 'restock')
    ) as is_closed,
    case
        when lines.restocked_at is not null then 'restocked'
        when lines.inspected_at is not null and coalesce(inspections.disposition, '') <> 'restock' then 'disposed'
        when lines.inspected_at is not null then 'awaiting_restock'
        when lines.received_at is not null then 'awaiting_inspection'
        else 'in_transit'
    end as return_status,
    lines.last_event_at,
    {{ ingested_through() }} as ingested_through
from lines
left join first_inspections as inspections
    on lines.return_id = inspections.return_id and lines.sku = inspections.sku
left join refunds
    on lines.return_id = refunds.return_id
