-- Orders (case_id) with the six order-exception rules of SPEC 5. Five are line rules rolled
-- up from int_order_lines; fulfilment from more than one location is an order rule (a split
-- shipment), counted over every order_fulfilled of the order.
-- Incremental: a build recomputes the orders whose lines int_order_lines rebuilt since this
-- model's last build (new events, or a line the horizon's move flipped); the others are kept
-- (macros/incremental.sql).

{{ config(**incremental_by_key(['order_id'])) }}

with
{% if is_incremental() -%}
affected_orders as (
    select distinct order_id from {{ ref('int_order_lines') }}
    where ingested_through > {{ built_through() }}
),
{%- endif %}

lines as (
    select * from {{ ref('int_order_lines') }}
    {% if is_incremental() -%}
    where order_id in (select order_id from affected_orders)
    {%- endif %}
),

fulfilment_sites as (
    select
        case_id as order_id,
        count(distinct location_id) as fulfilment_locations
    from {{ ref('stg_inventory_events') }}
    where event_type = 'order_fulfilled'
    {% if is_incremental() -%}
    and case_id in (select order_id from affected_orders)
    {%- endif %}
    group by case_id
),

orders as (
    select
        order_id,
        min(placed_at) as placed_at,
        -- every line carries the order's channel unless its own placement says otherwise
        min(channel) as channel,
        count(*) as line_count,
        sum(ordered_quantity) as ordered_quantity,
        sum(fulfilled_quantity) as fulfilled_quantity,
        max(last_event_at) as last_event_at,
        sum(case when has_reservation_failure then 1 else 0 end) > 0 as has_reservation_failure,
        sum(case when is_cancelled_out_of_stock then 1 else 0 end) > 0 as has_out_of_stock_cancellation,
        sum(case when is_oversold then 1 else 0 end) > 0 as has_oversell,
        sum(case when is_fulfilled_late then 1 else 0 end) > 0 as has_late_fulfilment,
        sum(case when is_open_overdue then 1 else 0 end) > 0 as has_overdue_open_line
    from lines
    group by order_id
),

flagged as (
    select
        orders.*,
        coalesce(sites.fulfilment_locations, 0) as fulfilment_locations,
        coalesce(sites.fulfilment_locations, 0) > 1 as has_split_fulfilment
    from orders
    left join fulfilment_sites as sites
        on orders.order_id = sites.order_id
)

select
    order_id,
    channel,
    placed_at,
    cast(placed_at as date) as order_date,
    placed_at is not null as is_placed,
    line_count,
    ordered_quantity,
    fulfilled_quantity,
    fulfilment_locations,
    last_event_at,
    has_reservation_failure,
    has_out_of_stock_cancellation,
    has_oversell,
    has_split_fulfilment,
    has_late_fulfilment,
    has_overdue_open_line,
    (
        case when has_reservation_failure then 1 else 0 end
        + case when has_out_of_stock_cancellation then 1 else 0 end
        + case when has_oversell then 1 else 0 end
        + case when has_split_fulfilment then 1 else 0 end
        + case when has_late_fulfilment then 1 else 0 end
        + case when has_overdue_open_line then 1 else 0 end
    ) as exception_rule_count,
    (has_reservation_failure or has_out_of_stock_cancellation or has_oversell
        or has_split_fulfilment or has_late_fulfilment or has_overdue_open_line) as has_exception,
    {{ ingested_through() }} as ingested_through
from flagged
