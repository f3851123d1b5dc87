-- reconciliation_time_p50_h / _p95_h and unreconciled_events (SPEC 5), on the day the
-- stock-moving event occurred; unposted_backlog on the horizon's day.

with movements as (
    select
        occurred_date as kpi_date,
        source_system,
        event_type,
        reconciliation_time_h,
        is_judged,
        case when is_unreconciled then 1 else 0 end as unreconciled,
        case when is_unposted_at_horizon then 1 else 0 end as unposted
    from {{ ref('int_erp_reconciliation') }}
),

posted_movements as (
    select * from movements where reconciliation_time_h is not null
),

-- events younger than 24 h at the horizon are not judged yet: a day without any judged
-- event has no unreconciled_events row
judged_movements as (
    select * from movements where is_judged
),

-- the open backlog is a state at the horizon, so it has one day: the horizon's
backlog as (
    select
        horizon.horizon_date as kpi_date,
        judged_movements.source_system,
        judged_movements.unposted
    from judged_movements
    cross join {{ ref('int_data_horizon') }} as horizon
)

{{ kpi_percentiles('reconciliation_time', 'h', 'posted_movements', 'reconciliation_time_h', ['source_system', 'event_type']) }}
union all
{{ kpi_rows(
    'unreconciled_events', 'judged_movements', ['source_system'],
    value='sum(unreconciled)', numerator='sum(unreconciled)', denominator='count(*)'
) }}
union all
{{ kpi_count('unposted_backlog', 'backlog', 'unposted', ['source_system']) }}
