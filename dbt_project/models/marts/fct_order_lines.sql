with lines as (
    select * from {{ ref('int_order_lines') }}
),

orders as (
    select order_id, has_split_fulfilment, has_exception from {{ ref('int_orders') }}
),

case_slas as (
    select case_key, is_open, sla_hours, is_stalled from {{ ref('int_case_sla') }}
    where workflow = 'order'
),

skus as (
    select sku, unit_cost, unit_price from {{ ref('stg_skus') }}
)

select
    cast(lines.order_id as {{ dbt.type_string() }}) as order_id,
    cast(lines.sku as {{ dbt.type_string() }}) as sku,
    cast(lines.channel as {{ dbt.type_string() }}) as channel,
    cast(lines.placed_at as {{ dbt.type_timestamp() }}) as placed_at,
    cast(lines.order_date as date) as order_date,
    cast(lines.ordered_quantity as bigint) as ordered_quantity,
    cast(lines.first_reservation_requested_at as {{ dbt.type_timestamp() }}) as first_reservation_requested_at,
    cast(lines.first_reservation_confirmed_at as {{ dbt.type_timestamp() }}) as first_reservation_confirmed_at,
    cast(lines.reservation_requests as bigint) as reservation_requests,
    cast(lines.reservation_failures as bigint) as reservation_failures,
    cast(lines.first_fulfilled_at as {{ dbt.type_timestamp() }}) as first_fulfilled_at,
    cast(lines.last_fulfilled_at as {{ dbt.type_timestamp() }}) as last_fulfilled_at,
    cast(lines.fulfilled_quantity as bigint) as fulfilled_quantity,
    cast(lines.fulfilment_location_id as {{ dbt.type_string() }}) as fulfilment_location_id,
    cast(lines.cancelled_at as {{ dbt.type_timestamp() }}) as cancelled_at,
    cast(lines.cancel_reason as {{ dbt.type_string() }}) as cancel_reason,
    cast(lines.closed_at as {{ dbt.type_timestamp() }}) as closed_at,
    cast(lines.line_status as {{ dbt.type_string() }}) as line_status,
    cast(lines.oversell_location_id as {{ dbt.type_string() }}) as oversell_location_id,
    cast(lines.has_reservation_failure as boolean) as has_reservation_failure,
    cast(lines.is_cancelled_out_of_stock as boolean) as is_cancelled_out_of_stock,
    cast(lines.is_oversold as boolean) as is_oversold,
    cast(lines.is_fulfilled_late as boolean) as is_fulfilled_late,
    cast(lines.is_open_overdue as boolean) as is_open_overdue,
    cast(orders.has_split_fulfilment as boolean) as order_has_split_fulfilment,
    cast(orders.has_exception as boolean) as order_has_exception,
    cast(lines.ordered_quantity * skus.unit_price as double) as ordered_value_at_price,
    cast(lines.ordered_quantity * skus.unit_cost as double) as ordered_value_at_cost,
    cast(case when case_slas.is_open then case_slas.sla_hours end as double) as sla_hours,
    cast(coalesce(case_slas.is_stalled, false) as boolean) as is_stalled
from lines
left join orders
    on lines.order_id = orders.order_id
left join case_slas
    on case_slas.case_key = {{ dbt.concat(['lines.order_id', "'|'", 'lines.sku']) }}
left join skus
    on lines.sku = skus.sku
