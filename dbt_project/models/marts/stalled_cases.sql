-- Stalled cases at the data horizon (SPEC 5.1): the cases of int_case_sla past their
-- deadline (stage SLA, or for purchase orders the expected_at plus the grace).
-- A table, not incremental (issue 12): every row is a state at the horizon (age_h,
-- hours_over_sla, as_of move with it), so an incremental build would rewrite every row
-- anyway; it is a filter of int_case_sla, whose stalled cases are few. Reference scenario:
-- 2,107 stalled of 109,364 cases (8,202 open), built in 0.03 s.

select
    cast(workflow as {{ dbt.type_string() }}) as workflow,
    cast(case_key as {{ dbt.type_string() }}) as case_key,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(location_id as {{ dbt.type_string() }}) as location_id,
    cast(first_activity as {{ dbt.type_string() }}) as first_activity,
    cast(stage as {{ dbt.type_string() }}) as stage,
    cast(first_event_at as {{ dbt.type_timestamp() }}) as first_event_at,
    cast(last_event_at as {{ dbt.type_timestamp() }}) as last_event_at,
    cast(age_h as double) as age_h,
    cast(sla_rule as {{ dbt.type_string() }}) as sla_rule,
    cast(sla_hours as double) as sla_hours,
    cast(expected_at as {{ dbt.type_timestamp() }}) as expected_at,
    cast(due_at as {{ dbt.type_timestamp() }}) as due_at,
    cast(hours_over_sla as double) as hours_over_sla,
    cast(units as bigint) as units,
    cast(value_at_cost as double) as value_at_cost,
    cast(as_of as {{ dbt.type_timestamp() }}) as as_of
from {{ ref('int_case_sla') }}
where is_stalled
