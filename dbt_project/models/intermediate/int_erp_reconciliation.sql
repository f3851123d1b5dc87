-- Every stock-moving event matched to the erp_posted event that posts it
-- (attributes.posted_event_id). Reconciliation time runs from the posted event's occurred_at
-- to the first posting. SPEC 5, with the unreconciled_after_hours var (24 h):
--   is_judged               the event is at least 24 h old at the data horizon (younger ones
--                           are not judged yet)
--   is_unreconciled         judged and not posted within 24 h: posted later, or not at all
--                           (the unreconciled_events KPI, on the event's day)
--   is_unposted_at_horizon  judged and not posted by the horizon (the open backlog: the
--                           exception queue and the unposted_backlog KPI)

with stock_movements as (
    select * from {{ ref('stg_inventory_events') }}
    where event_type in {{ sql_list(stock_moving_event_types()) }}
),

postings as (
    select
        posted_event_id,
        min(occurred_at) as posted_at,
        min(event_id) as posting_event_id,
        count(*) as postings
    from {{ ref('stg_inventory_events') }}
    where event_type = 'erp_posted' and posted_event_id is not null
    group by posted_event_id
),

horizon as (
    select horizon_at from {{ ref('int_data_horizon') }}
),

matched as (
    select
        movements.event_id,
        movements.event_type,
        movements.source_system,
        movements.location_id,
        movements.sku,
        movements.stock_delta,
        movements.occurred_at,
        movements.occurred_date,
        postings.posting_event_id,
        postings.posted_at,
        coalesce(postings.postings, 0) as postings,
        horizon.horizon_at,
        {{ seconds_between('movements.occurred_at', 'horizon.horizon_at') }}
            >= {{ hours_var_seconds('unreconciled_after_hours') }} as is_judged
    from stock_movements as movements
    cross join horizon
    left join postings
        on movements.event_id = postings.posted_event_id
)

select
    event_id,
    event_type,
    source_system,
    location_id,
    sku,
    stock_delta,
    occurred_at,
    occurred_date,
    posting_event_id,
    posted_at,
    postings,
    posted_at is not null as is_posted,
    {{ seconds_between('occurred_at', 'posted_at') }} / 3600.0 as reconciliation_time_h,
    {{ seconds_between('occurred_at', 'horizon_at') }} / 3600.0 as age_h,
    is_judged,
    is_judged and not coalesce(
        {{ seconds_between('occurred_at', 'posted_at') }} <= {{ hours_var_seconds('unreconciled_after_hours') }},
        false
    ) as is_unreconciled,
    is_judged and not coalesce(posted_at <= horizon_at, false) as is_unposted_at_horizon
from matched
