-- Performance directly-follows graph (SPEC 5.1): consecutive events of a case give an edge
-- from_activity -> to_activity with its count and duration percentiles. Built on the generic
-- event log only, so any log in that shape feeds it; matches pm4py's DFG on the same log
-- ordered by (occurred_at, activity_rank, event_id).

with event_log as (
    select workflow, case_key, activity, occurred_at, case_event_index
    from {{ ref('int_event_log') }}
),

steps as (
    select
        workflow,
        case_key,
        activity as from_activity,
        occurred_at as from_at,
        lead(activity) over (partition by workflow, case_key order by case_event_index) as to_activity,
        lead(occurred_at) over (partition by workflow, case_key order by case_event_index) as to_at
    from event_log
),

edges as (
    select
        workflow,
        case_key,
        from_activity,
        to_activity,
        {{ seconds_between('from_at', 'to_at') }} as duration_s
    from steps
    where to_activity is not null
)

select
    cast(workflow as {{ dbt.type_string() }}) as workflow,
    cast(from_activity as {{ dbt.type_string() }}) as from_activity,
    cast(to_activity as {{ dbt.type_string() }}) as to_activity,
    cast(count(*) as bigint) as transition_count,
    cast(count(distinct case_key) as bigint) as case_count,
    cast(avg(duration_s) as double) as mean_duration_s,
    cast({{ percentile_cont('duration_s', 0.5) }} as double) as p50_duration_s,
    cast({{ percentile_cont('duration_s', 0.95) }} as double) as p95_duration_s,
    cast(min(duration_s) as double) as min_duration_s,
    cast(max(duration_s) as double) as max_duration_s
from edges
group by workflow, from_activity, to_activity
