-- Every stock-moving event matched to the erp_posted event that posts it
-- (attributes.posted_event_id). Reconciliation time runs from the posted event's occurred_at
-- to the first posting. SPEC 5, with the unreconciled_after_hours var (24 h):
--   is_judged               the event is at least 24 h old at the data horizon (younger ones
--                           are not judged yet)
--   is_unreconciled         judged and not posted within 24 h: posted later, or not at all
--                           (the unreconciled_events KPI, on the event's day)
--   is_unposted_at_horizon  judged and not posted by the horizon (the open backlog: the
--                           exception queue and the unposted_backlog KPI)
-- A view: the matching is int_stock_move_postings (incremental); what is judged here at the
-- horizon (age_h on every row) changes whenever the horizon moves, so storing it would mean
-- rewriting every row on every run.

{{ config(materialized='view') }}

with postings as (
    select * from {{ ref('int_stock_move_postings') }}
),

horizon as (
    select horizon_at from {{ ref('int_data_horizon') }}
),

matched as (
    select
        postings.*,
        horizon.horizon_at,
        {{ seconds_between('postings.occurred_at', 'horizon.horizon_at') }}
            >= {{ hours_var_seconds('unreconciled_after_hours') }} as is_judged
    from postings
    cross join horizon
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
    is_judged and not coalesce(posted_at <= horizon_at, false) as is_unposted_at_horizon,
    ingested_through
from matched
