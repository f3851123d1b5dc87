with case_slas as (
    select case_key, is_open, sla_hours, is_stalled from {{ ref('int_case_sla') }}
    where workflow = 'transfer'
)

select
    cast(transfer_id as {{ dbt.type_string() }}) as transfer_id,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(origin_location_id as {{ dbt.type_string() }}) as origin_location_id,
    cast(destination_location_id as {{ dbt.type_string() }}) as destination_location_id,
    cast(requested_at as {{ dbt.type_timestamp() }}) as requested_at,
    cast(approved_at as {{ dbt.type_timestamp() }}) as approved_at,
    cast(shipped_at as {{ dbt.type_timestamp() }}) as shipped_at,
    cast(shipment_date as date) as shipment_date,
    cast(received_at as {{ dbt.type_timestamp() }}) as received_at,
    cast(requested_quantity as bigint) as requested_quantity,
    cast(shipped_quantity as bigint) as shipped_quantity,
    cast(received_quantity as bigint) as received_quantity,
    cast(receipt_variance_quantity as bigint) as receipt_variance_quantity,
    cast(is_received_in_full as boolean) as is_received_in_full,
    cast(is_received_short as boolean) as is_received_short,
    cast(cycle_time_h as double) as cycle_time_h,
    cast(transfer_status as {{ dbt.type_string() }}) as transfer_status,
    cast(case when case_slas.is_open then case_slas.sla_hours end as double) as sla_hours,
    cast(coalesce(case_slas.is_stalled, false) as boolean) as is_stalled
from {{ ref('int_transfers') }} as lines
left join case_slas
    on case_slas.case_key = {{ dbt.concat(['lines.transfer_id', "'|'", 'lines.sku']) }}
