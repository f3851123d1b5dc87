-- order_exception_rate and oversell_incidents (SPEC 5), on the day the order was placed.

with placed_orders as (
    select
        order_date as kpi_date,
        channel,
        case when has_exception then 1 else 0 end as with_exception,
        1 as placed
    from {{ ref('int_orders') }}
    where is_placed
),

order_lines as (
    select
        coalesce(order_date, cast(oversold_at as date)) as kpi_date,
        channel,
        oversell_location_id as location_id,
        case when is_oversold then 1 else 0 end as oversells
    from {{ ref('int_order_lines') }}
)

{{ kpi_ratio('order_exception_rate', 'placed_orders', 'with_exception', 'placed', ['channel']) }}
union all
{{ kpi_count('oversell_incidents', 'order_lines', 'oversells', ['channel', 'location_id']) }}
