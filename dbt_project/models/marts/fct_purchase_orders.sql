select
    cast(po_id as {{ dbt.type_string() }}) as po_id,
    cast(location_id as {{ dbt.type_string() }}) as location_id,
    cast(supplier_id as {{ dbt.type_string() }}) as supplier_id,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(acknowledged_at as {{ dbt.type_timestamp() }}) as acknowledged_at,
    cast(originally_expected_at as {{ dbt.type_timestamp() }}) as originally_expected_at,
    cast(expected_at as {{ dbt.type_timestamp() }}) as expected_at,
    cast(first_received_at as {{ dbt.type_timestamp() }}) as first_received_at,
    cast(last_received_at as {{ dbt.type_timestamp() }}) as last_received_at,
    cast(sku_count as bigint) as sku_count,
    cast(ordered_quantity as bigint) as ordered_quantity,
    cast(received_quantity as bigint) as received_quantity,
    cast(receipts as bigint) as receipts,
    cast(is_received as boolean) as is_received,
    cast(first_received_at <= expected_at as boolean) as is_first_receipt_on_time,
    cast(receipt_delay_h as double) as receipt_delay_h
from {{ ref('int_purchase_orders') }}
