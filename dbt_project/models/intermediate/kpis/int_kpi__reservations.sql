-- reservation_latency_p50_s / _p95_s and reservation_failure_rate (SPEC 5), on the day of
-- each reservation's first request.

with reservations as (
    select * from {{ ref('int_reservations') }}
),

latencies as (
    select reservation_date as kpi_date, channel, location_id, latency_s
    from reservations
    where latency_s is not null
),

-- each requested / failed event counts on the day its reservation was first requested
attempts as (
    select
        reservations.reservation_date as kpi_date,
        reservations.channel,
        events.location_id,
        events.reason_code,
        case when events.event_type = 'reservation_failed' then 1 else 0 end as failures,
        case when events.event_type = 'reservation_requested' then 1 else 0 end as requests
    from {{ ref('stg_inventory_events') }} as events
    inner join reservations
        on events.case_id = reservations.order_id
        and events.sku = reservations.sku
        and events.location_id = reservations.location_id
    where events.event_type in ('reservation_requested', 'reservation_failed')
)

{{ kpi_percentiles('reservation_latency', 's', 'latencies', 'latency_s', ['channel', 'location_id']) }}
union all
{{ kpi_ratio('reservation_failure_rate', 'attempts', 'failures', 'requests',
             dimensions=['channel', 'location_id'], cause_dimensions=['reason_code']) }}
