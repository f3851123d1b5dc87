-- returns_disposition_time_p50_h / _p95_h (SPEC 5): inspection - receipt, on the day of receipt.

with inspected_returns as (
    select receipt_date as kpi_date, location_id, disposition_time_h
    from {{ ref('int_returns') }}
    where disposition_time_h is not null
)

{{ kpi_percentiles('returns_disposition_time', 'h', 'inspected_returns', 'disposition_time_h', ['location_id']) }}
