-- Performance directly-follows graph (SPEC 5.1): consecutive events of a case give an edge
-- from_activity -> to_activity with its count and duration percentiles. Built on the generic
-- event log only, so any log in that shape feeds it; matches pm4py's DFG on the same log
-- ordered by (occurred_at, activity_rank, event_id).
-- The edges are stored case by case (int_case_transitions, rebuilt only for the cases new
-- events touch); this is the group-by over them, kept a table: exact percentiles need every
-- duration, and it is cheap beside ranking the events.

with edges as (
    select workflow, from_activity, to_activity, duration_s, is_first_in_case
    from {{ ref('int_case_transitions') }}
)

select
    cast(workflow as {{ dbt.type_string() }}) as workflow,
    cast(from_activity as {{ dbt.type_string() }}) as from_activity,
    cast(to_activity as {{ dbt.type_string() }}) as to_activity,
    cast(count(*) as bigint) as transition_count,
    cast(sum(case when is_first_in_case then 1 else 0 end) as bigint) as case_count,
    cast(avg(duration_s) as double) as mean_duration_s,
    cast({{ percentile_cont('duration_s', 0.5) }} as double) as p50_duration_s,
    cast({{ percentile_cont('duration_s', 0.95) }} as double) as p95_duration_s,
    cast(min(duration_s) as double) as min_duration_s,
    cast(max(duration_s) as double) as max_duration_s
from edges
group by workflow, from_activity, to_activity
