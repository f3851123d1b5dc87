-- Integration API calls in call order per integration (occurred_at, then event_id), with the
-- run of consecutive failures each failed call belongs to (gaps and islands) and the next
-- call, which ends a failure run.
-- Incremental: a new call renumbers every later call of its integration (a late one lands
-- inside the sequence), so per integration with calls ingested since the last build, the
-- build recomputes the calls from its earliest new call's occurred_at onwards, numbered on
-- from the calls stored before it, and the stored call just before them, whose next call
-- changed; earlier calls and the other integrations are kept (macros/incremental.sql).
-- attributes.integration is never null: ingestion quarantines a call without it.

{{ config(**incremental_by_key(['event_id'])) }}

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
    {% if is_incremental() -%}
    and ingested_at > {{ built_through() }}
    {%- endif %}
),

{% if is_incremental() -%}
starts as (
    select integration, min(occurred_at) as from_at
    from calls
    group by integration
),

stored as (
    select stored.*, starts.from_at
    from {{ this }} as stored
    inner join starts
        on stored.integration = starts.integration
),

-- what the stored calls before the reprocessed ones count: the numbering goes on from there
offsets as (
    select
        starts.integration,
        count(before.event_id) as calls_before,
        sum(case when before.is_failed then 1 else 0 end) as failures_before
    from starts
    left join stored as before
        on starts.integration = before.integration
        and before.occurred_at < starts.from_at
    group by starts.integration
),

reprocessed as (
    select event_id, integration, source_system, occurred_at, call_date, status_code, latency_ms, attempt, is_failed
    from calls
    union all
    select event_id, integration, source_system, occurred_at, call_date, status_code, latency_ms, attempt, is_failed
    from stored
    where occurred_at >= from_at
),

sequenced as (
    select
        reprocessed.*,
        offsets.calls_before
            + row_number() over (partition by reprocessed.integration order by occurred_at, event_id) as call_seq,
        case when is_failed then coalesce(offsets.failures_before, 0) else offsets.calls_before - coalesce(offsets.failures_before, 0) end
            + row_number() over (partition by reprocessed.integration, is_failed order by occurred_at, event_id) as outcome_seq,
        lead(occurred_at) over (partition by reprocessed.integration order by occurred_at, event_id) as next_call_at
    from reprocessed
    inner join offsets
        on reprocessed.integration = offsets.integration
),

-- the stored call just before the reprocessed ones: only its next call changed
predecessors as (
    select
        stored.event_id,
        stored.integration,
        stored.source_system,
        stored.occurred_at,
        stored.call_date,
        stored.status_code,
        stored.latency_ms,
        stored.attempt,
        stored.is_failed,
        stored.call_seq,
        stored.failure_run,
        firsts.first_at as next_call_at
    from stored
    inner join offsets
        on stored.integration = offsets.integration
        and stored.call_seq = offsets.calls_before
    inner join (
        select integration, min(occurred_at) as first_at from reprocessed group by integration
    ) as firsts
        on stored.integration = firsts.integration
),
{%- else -%}
sequenced as (
    select
        calls.*,
        row_number() over (partition by integration order by occurred_at, event_id) as call_seq,
        row_number() over (partition by integration, is_failed order by occurred_at, event_id) as outcome_seq,
        lead(occurred_at) over (partition by integration order by occurred_at, event_id) as next_call_at
    from calls
),
{%- endif %}

numbered as (
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
    {% if is_incremental() -%}
    union all
    select * from predecessors
    {%- endif %}
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
    cast(call_seq as bigint) as call_seq,
    cast(failure_run as bigint) as failure_run,
    next_call_at,
    {{ ingested_through() }} as ingested_through
from numbered
