-- Transfer lines (case_id + sku): request, approval, shipment and receipt. Quantities are
-- summed over events so a split receipt adds up; a receipt short of the shipment makes the
-- line inaccurate (SPEC 5 transfer_accuracy).
-- Incremental: a build recomputes the transfers with an event ingested since the last one
-- (all their lines, from all their events); the others are kept (macros/incremental.sql).

{{ config(**incremental_by_key(['transfer_id'])) }}

with transfer_events as (
    select * from {{ ref('stg_inventory_events') }}
    where workflow = 'transfer'
    {% if is_incremental() -%}
    and case_id in (select case_id from ({{ touched_cases(['transfer']) }}) as touched)
    {%- endif %}
),

-- transfer_approved names no sku: it approves every line of its transfer
approvals as (
    select case_id as transfer_id, min(occurred_at) as approved_at
    from transfer_events
    where event_type = 'transfer_approved'
    group by case_id
),

lines as (
    select
        case_id as transfer_id,
        sku,
        -- a line has one origin and one destination; min() only makes a disagreement deterministic
        coalesce(
            min(case when event_type = 'transfer_requested' then location_id end),
            min(case when event_type = 'transfer_shipped' then location_id end)
        ) as origin_location_id,
        coalesce(
            min(case when event_type = 'transfer_requested' then to_location_id end),
            min(case when event_type = 'transfer_shipped' then to_location_id end),
            min(case when event_type = 'transfer_received' then location_id end)
        ) as destination_location_id,
        min(case when event_type = 'transfer_requested' then occurred_at end) as requested_at,
        sum(case when event_type = 'transfer_requested' then quantity else 0 end) as requested_quantity,
        min(case when event_type = 'transfer_shipped' then occurred_at end) as shipped_at,
        sum(case when event_type = 'transfer_shipped' then quantity else 0 end) as shipped_quantity,
        min(case when event_type = 'transfer_received' then occurred_at end) as received_at,
        max(case when event_type = 'transfer_received' then occurred_at end) as last_received_at,
        sum(case when event_type = 'transfer_received' then quantity else 0 end) as received_quantity,
        sum(case when event_type = 'transfer_shipped' then 1 else 0 end) > 0 as is_shipped,
        sum(case when event_type = 'transfer_received' then 1 else 0 end) > 0 as is_received,
        max(occurred_at) as last_event_at
    from transfer_events
    where sku is not null
    group by case_id, sku
)

select
    lines.transfer_id,
    lines.sku,
    lines.origin_location_id,
    lines.destination_location_id,
    lines.requested_at,
    approvals.approved_at,
    lines.shipped_at,
    cast(lines.shipped_at as date) as shipment_date,
    lines.received_at,
    lines.last_received_at,
    lines.requested_quantity,
    lines.shipped_quantity,
    lines.received_quantity,
    lines.received_quantity - lines.shipped_quantity as receipt_variance_quantity,
    lines.is_shipped,
    lines.is_received,
    case
        when lines.is_shipped and lines.is_received then lines.received_quantity = lines.shipped_quantity
    end as is_received_in_full,
    case
        when lines.is_shipped and lines.is_received then lines.received_quantity < lines.shipped_quantity
    end as is_received_short,
    {{ seconds_between('lines.shipped_at', 'lines.received_at') }} / 3600.0 as cycle_time_h,
    case
        when lines.is_received then 'received'
        when lines.is_shipped then 'in_transit'
        when approvals.approved_at is not null then 'approved'
        else 'requested'
    end as transfer_status,
    lines.last_event_at,
    {{ ingested_through() }} as ingested_through
from lines
left join approvals
    on lines.transfer_id = approvals.transfer_id
