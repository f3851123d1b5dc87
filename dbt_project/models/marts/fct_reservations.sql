select
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(location_id as {{ dbt.type_string() }}) as location_id,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(reservation_date as date) as reservation_date,
    cast(first_requested_at as {{ dbt.type_timestamp() }}) as first_requested_at,
    cast(first_confirmed_at as {{ dbt.type_timestamp() }}) as first_confirmed_at,
    cast(first_failed_at as {{ dbt.type_timestamp() }}) as first_failed_at,
    cast(requests as bigint) as requests,
    cast(confirmations as bigint) as confirmations,
    cast(failures as bigint) as failures,
    cast(requested_quantity as bigint) as requested_quantity,
    cast(outcome as {{ dbt.type_string() }}) as outcome,
    cast(latency_s as double) as latency_s
from {{ ref('int_reservations') }}
