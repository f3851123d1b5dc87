-- Reservations per (case_id, sku, location_id), the pairing unit of SPEC 5's reservation
-- latency: first reservation_confirmed - first reservation_requested at that location.
-- A failed attempt at one location and a confirmed one at another are two reservations.
-- Incremental: a build recomputes the orders with an event ingested since the last one (the
-- channel comes from the order's own events too); the others are kept (macros/incremental.sql).

{{ config(**incremental_by_key(['order_id'])) }}

with
{% if is_incremental() -%}
touched_orders as (
    select case_id as order_id from ({{ touched_cases(['order']) }}) as touched
),
{%- endif %}

reservation_events as (
    select * from {{ ref('stg_inventory_events') }}
    where event_type in ('reservation_requested', 'reservation_confirmed', 'reservation_failed')
    {% if is_incremental() -%}
    and case_id in (select order_id from touched_orders)
    {%- endif %}
),

order_lines as (
    select order_id, sku, channel from {{ ref('int_order_lines') }}
    {% if is_incremental() -%}
    where order_id in (select order_id from touched_orders)
    {%- endif %}
),

reservations as (
    select
        case_id as order_id,
        sku,
        location_id,
        min(case when event_type = 'reservation_requested' then occurred_at end) as first_requested_at,
        min(case when event_type = 'reservation_confirmed' then occurred_at end) as first_confirmed_at,
        min(case when event_type = 'reservation_failed' then occurred_at end) as first_failed_at,
        sum(case when event_type = 'reservation_requested' then 1 else 0 end) as requests,
        sum(case when event_type = 'reservation_confirmed' then 1 else 0 end) as confirmations,
        sum(case when event_type = 'reservation_failed' then 1 else 0 end) as failures,
        sum(case when event_type = 'reservation_requested' then quantity else 0 end) as requested_quantity
    from reservation_events
    group by case_id, sku, location_id
)

select
    reservations.order_id,
    reservations.sku,
    reservations.location_id,
    order_lines.channel,
    -- a KPI's day is the day of the event that starts it: the first request
    cast(coalesce(first_requested_at, first_confirmed_at, first_failed_at) as date) as reservation_date,
    first_requested_at,
    first_confirmed_at,
    first_failed_at,
    requests,
    confirmations,
    failures,
    requested_quantity,
    case
        when first_confirmed_at is not null then 'confirmed'
        when first_failed_at is not null then 'failed'
        else 'pending'
    end as outcome,
    {{ seconds_between('first_requested_at', 'first_confirmed_at') }} as latency_s,
    {{ ingested_through() }} as ingested_through
from reservations
left join order_lines
    on reservations.order_id = order_lines.order_id
    and reservations.sku = order_lines.sku
