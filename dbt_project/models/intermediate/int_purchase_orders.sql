-- Purchase orders (case_id): creation, supplier acknowledgement (which may revise the
-- expected date), receipts. expected_at is the latest revision by occurred_at (SPEC 5:
-- "on or before the latest expected_at").

with po_events as (
    select * from {{ ref('stg_inventory_events') }}
    where workflow = 'replenishment'
),

latest_expectations as (
    select po_id, expected_at
    from (
        select
            case_id as po_id,
            expected_at,
            row_number() over (partition by case_id order by occurred_at desc, event_id desc) as recency
        from po_events
        where event_type in ('po_created', 'po_acknowledged') and expected_at is not null
    ) as ranked
    where recency = 1
),

pos as (
    select
        case_id as po_id,
        coalesce(
            min(case when event_type = 'po_created' then location_id end),
            min(case when event_type = 'po_received' then location_id end)
        ) as location_id,
        min(supplier_id) as supplier_id,
        min(case when event_type = 'po_created' then occurred_at end) as created_at,
        min(case when event_type = 'po_created' then expected_at end) as originally_expected_at,
        min(case when event_type = 'po_acknowledged' then occurred_at end) as acknowledged_at,
        count(distinct case when event_type = 'po_created' then sku end) as sku_count,
        sum(case when event_type = 'po_created' then quantity else 0 end) as ordered_quantity,
        min(case when event_type = 'po_received' then occurred_at end) as first_received_at,
        max(case when event_type = 'po_received' then occurred_at end) as last_received_at,
        sum(case when event_type = 'po_received' then quantity else 0 end) as received_quantity,
        sum(case when event_type = 'po_received' then 1 else 0 end) as receipts,
        max(occurred_at) as last_event_at
    from po_events
    group by case_id
)

select
    pos.po_id,
    pos.location_id,
    pos.supplier_id,
    pos.created_at,
    pos.acknowledged_at,
    pos.originally_expected_at,
    expectations.expected_at,
    pos.first_received_at,
    pos.last_received_at,
    pos.sku_count,
    pos.ordered_quantity,
    pos.received_quantity,
    pos.receipts,
    pos.receipts > 0 as is_received,
    {{ seconds_between('expectations.expected_at', 'pos.first_received_at') }} / 3600.0 as receipt_delay_h,
    pos.last_event_at
from pos
left join latest_expectations as expectations
    on pos.po_id = expectations.po_id
