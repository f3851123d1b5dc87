-- Integration disruptions: runs of at least `disruption_min_failures` (5) consecutive failed
-- calls of one integration (SPEC 5). Recovery is the first call after the run, which is a
-- success by construction; a run at the very end of the data has no recovery yet but is
-- still a disruption.

with failures as (
    select * from {{ ref('int_api_calls') }}
    where is_failed
),

runs as (
    select
        integration,
        failure_run,
        min(occurred_at) as started_at,
        max(occurred_at) as last_failed_at,
        max(call_seq) as last_failed_seq,
        count(*) as failed_calls
    from failures
    group by integration, failure_run
    having count(*) >= {{ var('disruption_min_failures') }}
),

recoveries as (
    select
        runs.*,
        failures.next_call_at as recovered_at
    from runs
    inner join failures
        on runs.integration = failures.integration
        and runs.last_failed_seq = failures.call_seq
)

select
    {{ dbt.concat(["integration", "':'", "cast(failure_run as " ~ dbt.type_string() ~ ")"]) }} as disruption_id,
    integration,
    started_at,
    cast(started_at as date) as disruption_date,
    last_failed_at,
    failed_calls,
    recovered_at,
    recovered_at is not null as is_recovered,
    {{ seconds_between('started_at', 'recovered_at') }} / 60.0 as recovery_time_min
from recoveries
