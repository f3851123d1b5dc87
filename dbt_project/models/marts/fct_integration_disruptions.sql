select
    cast(disruption_id as {{ dbt.type_string() }}) as disruption_id,
    cast(integration as {{ dbt.type_string() }}) as integration,
    cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
    cast(disruption_date as date) as disruption_date,
    cast(last_failed_at as {{ dbt.type_timestamp() }}) as last_failed_at,
    cast(failed_calls as bigint) as failed_calls,
    cast(recovered_at as {{ dbt.type_timestamp() }}) as recovered_at,
    cast(is_recovered as boolean) as is_recovered,
    cast(recovery_time_min as double) as recovery_time_min
from {{ ref('int_integration_disruptions') }}
