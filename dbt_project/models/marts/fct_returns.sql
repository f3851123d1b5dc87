select
    cast(return_id as {{ dbt.type_string() }}) as return_id,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(location_id as {{ dbt.type_string() }}) as location_id,
    cast(initiated_at as {{ dbt.type_timestamp() }}) as initiated_at,
    cast(received_at as {{ dbt.type_timestamp() }}) as received_at,
    cast(receipt_date as date) as receipt_date,
    cast(inspected_at as {{ dbt.type_timestamp() }}) as inspected_at,
    cast(disposition as {{ dbt.type_string() }}) as disposition,
    cast(restocked_at as {{ dbt.type_timestamp() }}) as restocked_at,
    cast(refunded_at as {{ dbt.type_timestamp() }}) as refunded_at,
    cast(initiated_quantity as bigint) as initiated_quantity,
    cast(received_quantity as bigint) as received_quantity,
    cast(restocked_quantity as bigint) as restocked_quantity,
    cast(disposition_time_h as double) as disposition_time_h,
    cast(is_closed as boolean) as is_closed,
    cast(return_status as {{ dbt.type_string() }}) as return_status
from {{ ref('int_returns') }}
