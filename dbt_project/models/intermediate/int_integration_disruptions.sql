-- Integration disruptions: runs of at least `disruption_min_failures` (5) consecutive failed
-- calls of one integration (SPEC 5). Recovery is the first call after the run, which is a
-- success by construction; a run at the very end of the data has no recovery yet but is
-- still a disruption.
-- A table, rebuilt whole: it reads only the failed calls of int_api_calls (incremental, which
-- does the numbering), a small share of the calls. A late call renumbers every later run of
-- its integration and can split a disruption below the minimum, so an incremental version
-- would have to delete rows no new row replaces, and would scan int_api_calls for the calls
-- it rebuilt all the same.

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
