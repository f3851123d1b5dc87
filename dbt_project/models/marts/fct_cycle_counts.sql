select
    cast(event_id as {{ dbt.type_string() }}) as event_id,
    cast(count_id as {{ dbt.type_string() }}) as count_id,
    cast(location_id as {{ dbt.type_string() }}) as location_id,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(source_system as {{ dbt.type_string() }}) as source_system,
    cast(counted_at as {{ dbt.type_timestamp() }}) as counted_at,
    cast(count_date as date) as count_date,
    cast(counted_quantity as bigint) as counted_quantity,
    cast(system_quantity as bigint) as system_quantity,
    cast(variance_quantity as bigint) as variance_quantity,
    cast(is_accurate as boolean) as is_accurate,
    cast(unit_cost as double) as unit_cost,
    cast(variance_value_at_cost as double) as variance_value_at_cost
from {{ ref('int_cycle_counts') }}
