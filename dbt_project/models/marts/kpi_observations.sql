-- The observations behind every percentile KPI (SPEC 5: a percentile over a period is
-- recomputed from the period's observations, never averaged from daily values). Each family
-- reads the same intermediate rows, with the same filters, as its int_kpi__<area> model, so
-- a day's percentile in kpi_daily is quantile_cont over that day's rows here (tested:
-- percentiles_match_observations). Dimension columns hold the kpi_daily dimension values
-- ('unknown' when the event lacks one) and stay null for the dimensions a family is not
-- reported by. Kept lean: one value and the cutting columns per observation, p50 and p95 of
-- a measure share them; a region is a location's (dim_locations), not a column here.
-- Incremental as kpi_daily: a build recomputes only the days that can have changed since the
-- last one (macros/kpi_days.sql; no family is judged at the horizon), the others are kept.
-- depends_on: {{ ref('int_erp_reconciliation') }}

{%- set days = rebuilt_kpi_days(horizon_rules=false) if is_incremental() else [] %}
{{ config(**incremental_by_kpi_day('kpi_family')) }}

{%- set dimensions = kpi_observation_dimensions() %}

with observations as (
    -- int_kpi__reservations: confirmed reservations, on the day of the first request
    {{ kpi_observation_rows(
        'reservation_latency', 'reservation_date', 'latency_s', ref('int_reservations'),
        'latency_s is not null',
        {'channel': 'channel', 'location_id': 'location_id'}) }}

    union all

    -- int_kpi__transfers: lines shipped and received, on the day of shipment
    {{ kpi_observation_rows(
        'transfer_cycle_time', 'shipment_date', 'cycle_time_h', ref('int_transfers'),
        'is_shipped and is_received and cycle_time_h is not null',
        {'origin': 'origin_location_id', 'destination': 'destination_location_id'}) }}

    union all

    -- int_kpi__returns: inspected returns, on the day of receipt
    {{ kpi_observation_rows(
        'returns_disposition_time', 'receipt_date', 'disposition_time_h', ref('int_returns'),
        'disposition_time_h is not null',
        {'location_id': 'location_id'}) }}

    union all

    -- int_kpi__reconciliation: posted stock movements, on the day the movement occurred
    {{ kpi_observation_rows(
        'reconciliation_time', 'occurred_date', 'reconciliation_time_h',
        ref('int_erp_reconciliation'),
        'reconciliation_time_h is not null',
        {'source_system': 'source_system', 'event_type': 'event_type'}) }}

    union all

    -- int_kpi__feeds: every event with an emitted_at, on the day it occurred
    {{ kpi_observation_rows(
        'source_delivery_lag', 'occurred_date',
        seconds_between('occurred_at', 'emitted_at') ~ ' / 60.0', ref('stg_inventory_events'),
        'emitted_at is not null',
        {'source_system': 'source_system'}) }}
),

horizon as (
    select horizon_date, data_start_date from {{ ref('int_data_horizon') }}
)
{%- if is_incremental() %},

rebuilt_days as (
    {{ kpi_days_relation(days) }}
)
{%- endif %}

select
    cast(observations.kpi_family as {{ dbt.type_string() }}) as kpi_family,
    cast(observations.kpi_date as date) as kpi_date,
    cast(observations.observation_value as double) as observation_value,
    {{ kpi_day_is_complete('observations.kpi_date', 'horizon') }} as is_complete
    {%- for dimension in dimensions %},
    observations.{{ dimension }}
    {%- endfor %},
    {{ ingested_through() }} as ingested_through
from observations
cross join horizon
where observations.kpi_date is not null
{%- if is_incremental() %}
    and {{ in_kpi_days('observations.kpi_date', days) }}

-- one marker row per recomputed day (deleted by the post-hook): delete+insert clears a day
-- even when none of its rows is left
union all
select
    cast(null as {{ dbt.type_string() }}) as kpi_family,
    cast(kpi_date as date) as kpi_date,
    cast(null as double) as observation_value,
    cast(null as boolean) as is_complete
    {%- for dimension in dimensions %},
    cast(null as {{ dbt.type_string() }}) as {{ dimension }}
    {%- endfor %},
    {{ ingested_through() }} as ingested_through
from rebuilt_days
{%- endif %}
