-- transfer_accuracy and transfer_cycle_time_p50_h / _p95_h (SPEC 5), on the day of shipment,
-- for lines both shipped and received.

with completed_lines as (
    select
        shipment_date as kpi_date,
        origin_location_id as origin,
        destination_location_id as destination,
        case when is_received_in_full then 1 else 0 end as received_in_full,
        1 as lines,
        cycle_time_h
    from {{ ref('int_transfers') }}
    where is_shipped and is_received
)

{{ kpi_ratio('transfer_accuracy', 'completed_lines', 'received_in_full', 'lines', ['origin', 'destination']) }}
union all
{{ kpi_percentiles('transfer_cycle_time', 'h', 'completed_lines', 'cycle_time_h', ['origin', 'destination']) }}
