select
    cast(location_id as {{ dbt.type_string() }}) as location_id,
    cast(location_type as {{ dbt.type_string() }}) as location_type,
    cast(region as {{ dbt.type_string() }}) as region,
    cast(location_name as {{ dbt.type_string() }}) as location_name
from {{ ref('stg_locations') }}
