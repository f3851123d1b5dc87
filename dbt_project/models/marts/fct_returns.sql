with case_slas as (
    select case_key, is_open, sla_hours, is_stalled from {{ ref('int_case_sla') }}
    where workflow = 'return'
)

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
    cast(return_status as {{ dbt.type_string() }}) as return_status,
    cast(case when case_slas.is_open then case_slas.sla_hours end as double) as sla_hours,
    cast(coalesce(case_slas.is_stalled, false) as boolean) as is_stalled
from {{ ref('int_returns') }} as lines
left join case_slas
    on case_slas.case_key = {{ dbt.concat(['lines.return_id', "'|'", 'lines.sku']) }}
