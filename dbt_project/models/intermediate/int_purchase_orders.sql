-- Purchase orders (case_id): creation, supplier acknowledgement (which may revise the
-- expected date), receipts. expected_at is the latest revision by occurred_at (SPEC 5:
-- "on or before the latest expected_at").
-- Lateness (SPEC 5.1), judged at the data horizon from the events up to it: a PO is late
-- once the horizon is past its due_at (the latest expected_at known at the horizon plus
-- the po_late_grace_hours var) and its receipts by then fall short of the ordered quantity.
-- Incremental: a build recomputes the POs with an event ingested since the last one, and the
-- POs the horizon's move changes (macros/incremental.sql): a PO with an event after the new
-- horizon (its view at the horizon depends on where the horizon is), and a PO whose events
-- all lie within the new horizon but whose stored due_at or is_late differs from what they
-- give there (it had events beyond the previous horizon, or the horizon crossed its due_at);
-- the others are kept.

{{ config(**incremental_by_key(['po_id'])) }}

with horizon as (
    select horizon_at from {{ ref('int_data_horizon') }}
),

{% if is_incremental() -%}
affected_pos as (
    select case_id as po_id from ({{ touched_cases(['replenishment']) }}) as touched
    union
    select stored.po_id
    from {{ this }} as stored
    cross join horizon
    where not coalesce(stored.last_event_at <= horizon.horizon_at, false)
        or not coalesce(
            stored.due_at = {{ po_due_at('stored.expected_at') }},
            stored.due_at is null and stored.expected_at is null
        )
        or stored.is_late <> {{ po_is_late(
            'horizon.horizon_at', po_due_at('stored.expected_at'),
            'stored.received_quantity', 'stored.ordered_quantity'
        ) }}
),
{%- endif %}

po_events as (
    select * from {{ ref('stg_inventory_events') }}
    where workflow = 'replenishment'
    {% if is_incremental() -%}
    and case_id in (select po_id from affected_pos)
    {%- endif %}
),

revisions as (
    select
        case_id as po_id,
        expected_at,
        occurred_at <= horizon.horizon_at as is_known_at_horizon,
        row_number() over (partition by case_id order by occurred_at desc, event_id desc) as recency,
        row_number() over (
            partition by case_id, occurred_at <= horizon.horizon_at
            order by occurred_at desc, event_id desc
        ) as recency_within_known
    from po_events
    cross join horizon
    where event_type in ('po_created', 'po_acknowledged') and expected_at is not null
),

latest_expectations as (
    select
        po_id,
        max(case when recency = 1 then expected_at end) as expected_at,
        max(case when is_known_at_horizon and recency_within_known = 1 then expected_at end) as horizon_expected_at
    from revisions
    group by po_id
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
        sum(
            case when event_type = 'po_received' and occurred_at <= horizon.horizon_at then quantity else 0 end
        ) as received_by_horizon_quantity,
        sum(case when event_type = 'po_received' then 1 else 0 end) as receipts,
        max(occurred_at) as last_event_at,
        min(horizon.horizon_at) as horizon_at
    from po_events
    cross join horizon
    group by case_id
),

due as (
    select
        pos.*,
        expectations.expected_at,
        {{ po_due_at('expectations.horizon_expected_at') }} as due_at
    from pos
    left join latest_expectations as expectations
        on pos.po_id = expectations.po_id
)

select
    po_id,
    location_id,
    supplier_id,
    created_at,
    acknowledged_at,
    originally_expected_at,
    expected_at,
    first_received_at,
    last_received_at,
    sku_count,
    ordered_quantity,
    received_quantity,
    receipts,
    receipts > 0 as is_received,
    receipts > 0 and received_quantity >= ordered_quantity as is_fully_received,
    {{ seconds_between('expected_at', 'first_received_at') }} / 3600.0 as receipt_delay_h,
    cast(due_at as {{ dbt.type_timestamp() }}) as due_at,
    {{ po_is_late('horizon_at', 'due_at', 'received_by_horizon_quantity', 'ordered_quantity') }} as is_late,
    last_event_at,
    {{ ingested_through() }} as ingested_through
from due
