-- reconciliation_time_p50_h / _p95_h and unreconciled_events (SPEC 5), on the day the
-- stock-moving event occurred.

with movements as (
    select
        occurred_date as kpi_date,
        source_system,
        event_type,
        reconciliation_time_h,
        case when is_unreconciled then 1 else 0 end as unreconciled
    from {{ ref('int_erp_reconciliation') }}
),

posted_movements as (
    select * from movements where reconciliation_time_h is not null
)

{{ kpi_percentiles('reconciliation_time', 'h', 'posted_movements', 'reconciliation_time_h', ['source_system', 'event_type']) }}
union all
{{ kpi_count('unreconciled_events', 'movements', 'unreconciled', ['source_system']) }}
