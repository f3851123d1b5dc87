-- api_failure_rate, integration_disruptions and disruption_recovery_time_min (SPEC 5).
-- A disruption counts on the day of its first failed call; its recovery time is reported as
-- a mean per day (numerator = minutes, denominator = recovered disruptions), so a disruption
-- not yet recovered counts as a disruption but not in recovery time.

with calls as (
    select
        call_date as kpi_date,
        integration,
        case when is_failed then 1 else 0 end as failed,
        1 as calls
    from {{ ref('int_api_calls') }}
),

disruptions as (
    select * from {{ ref('int_integration_disruptions') }}
),

-- every day with calls reports a disruption count, zero included
disruption_days as (
    select kpi_date, integration, 0 as disruptions
    from calls
    group by kpi_date, integration

    union all

    select disruption_date as kpi_date, integration, 1 as disruptions
    from disruptions
),

recoveries as (
    select disruption_date as kpi_date, integration, recovery_time_min
    from disruptions
    where is_recovered
)

{{ kpi_ratio('api_failure_rate', 'calls', 'failed', 'calls', ['integration']) }}
union all
{{ kpi_count('integration_disruptions', 'disruption_days', 'disruptions', ['integration']) }}
union all
{{ kpi_mean('disruption_recovery_time_min', 'recoveries', 'recovery_time_min', ['integration']) }}
