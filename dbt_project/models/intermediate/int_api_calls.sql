-- Integration API calls in call order per integration (occurred_at, then event_id), with the
-- run of consecutive failures each failed call belongs to (gaps and islands) and the next
-- call, which ends a failure run.

with calls as (
    select
        event_id,
        integration,
        source_system,
        occurred_at,
        occurred_date as call_date,
        status_code,
        latency_ms,
        attempt,
        coalesce({{ is_failed_status('status_code') }}, false) as is_failed
    from {{ ref('stg_inventory_events') }}
    where event_type = 'api_call'
),

sequenced as (
    select
        calls.*,
        row_number() over (partition by integration order by occurred_at, event_id) as call_seq,
        row_number() over (partition by integration, is_failed order by occurred_at, event_id) as outcome_seq,
        lead(occurred_at) over (partition by integration order by occurred_at, event_id) as next_call_at
    from calls
)

select
    event_id,
    integration,
    source_system,
    occurred_at,
    call_date,
    status_code,
    latency_ms,
    attempt,
    is_failed,
    call_seq,
    -- consecutive failures share call_seq - outcome_seq
    case when is_failed then call_seq - outcome_seq end as failure_run,
    next_call_at
from sequenced
