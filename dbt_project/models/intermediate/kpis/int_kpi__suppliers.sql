-- supplier_on_time_rate (SPEC 5): po_received on or before the PO's latest expected_at,
-- on the day of receipt. A receipt of a PO without a known expected date is not on time.

with receipts as (
    select
        events.occurred_date as kpi_date,
        events.location_id,
        case when events.occurred_at <= pos.expected_at then 1 else 0 end as on_time,
        1 as received
    from {{ ref('stg_inventory_events') }} as events
    left join {{ ref('int_purchase_orders') }} as pos
        on events.case_id = pos.po_id
    where events.event_type = 'po_received'
)

{{ kpi_ratio('supplier_on_time_rate', 'receipts', 'on_time', 'received', ['location_id']) }}
