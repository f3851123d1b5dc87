-- Cases with no terminal event whose last event is older than the SLA of the stage they sit
-- in, at the data horizon (SPEC 5.1). SLAs come from the
-- stalled_case_sla_hours var (default 72 h, per workflow or per workflow.activity).

with open_cases as (
    select * from {{ ref('int_process_cases') }}
    where not is_closed
),

horizon as (
    select horizon_at from {{ ref('int_data_horizon') }}
),

aged as (
    select
        open_cases.*,
        horizon.horizon_at,
        {{ seconds_between('open_cases.last_event_at', 'horizon.horizon_at') }} / 3600.0 as age_h,
        {{ stalled_sla_hours('open_cases.workflow', 'open_cases.last_activity') }} as sla_hours
    from open_cases
    cross join horizon
)

select
    cast(workflow as {{ dbt.type_string() }}) as workflow,
    cast(case_key as {{ dbt.type_string() }}) as case_key,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(location_id as {{ dbt.type_string() }}) as location_id,
    cast(first_activity as {{ dbt.type_string() }}) as first_activity,
    cast(last_activity as {{ dbt.type_string() }}) as stage,
    cast(first_event_at as {{ dbt.type_timestamp() }}) as first_event_at,
    cast(last_event_at as {{ dbt.type_timestamp() }}) as last_event_at,
    cast(age_h as double) as age_h,
    cast(sla_hours as double) as sla_hours,
    cast(age_h - sla_hours as double) as hours_over_sla,
    cast(units as bigint) as units,
    cast(value_at_cost as double) as value_at_cost,
    cast(horizon_at as {{ dbt.type_timestamp() }}) as as_of
from aged
where age_h > sla_hours
