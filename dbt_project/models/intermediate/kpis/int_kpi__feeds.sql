-- source_delivery_lag_p95_min (SPEC 5): emitted_at - occurred_at of every event, minutes.

with deliveries as (
    select
        occurred_date as kpi_date,
        source_system,
        {{ seconds_between('occurred_at', 'emitted_at') }} / 60.0 as delivery_lag_min
    from {{ ref('stg_inventory_events') }}
    where emitted_at is not null
)

{{ kpi_percentiles('source_delivery_lag', 'min', 'deliveries', 'delivery_lag_min', ['source_system'], percentiles=[95]) }}
