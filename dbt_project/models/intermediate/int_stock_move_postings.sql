-- Every stock-moving event matched to the erp_posted events that post it
-- (attributes.posted_event_id): the first posting and how many there are. The judgement at
-- the data horizon (unreconciled, unposted backlog) is int_erp_reconciliation, a view over
-- this model, since an age at the horizon changes on every row whenever the horizon moves.
-- Incremental: a build recomputes the moves ingested since the last one and the moves an
-- erp_posted ingested since then posts (with all their postings, old and new); the others
-- are kept (macros/incremental.sql).

{{ config(**incremental_by_key(['event_id'])) }}

with
{% if is_incremental() -%}
new_events as (
    select event_id, event_type, posted_event_id
    from {{ ref('stg_inventory_events') }}
    where ingested_at > {{ built_through() }}
),

affected_moves as (
    select event_id from new_events
    where event_type in {{ sql_list(stock_moving_event_types()) }}
    union
    select posted_event_id as event_id from new_events
    where event_type = 'erp_posted' and posted_event_id is not null
),
{%- endif %}

stock_movements as (
    select * from {{ ref('stg_inventory_events') }}
    where event_type in {{ sql_list(stock_moving_event_types()) }}
    {% if is_incremental() -%}
    and event_id in (select event_id from affected_moves)
    {%- endif %}
),

postings as (
    select
        posted_event_id,
        min(occurred_at) as posted_at,
        min(event_id) as posting_event_id,
        count(*) as postings
    from {{ ref('stg_inventory_events') }}
    where event_type = 'erp_posted' and posted_event_id is not null
    {% if is_incremental() -%}
    and posted_event_id in (select event_id from affected_moves)
    {%- endif %}
    group by posted_event_id
)

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
    {{ ingested_through() }} as ingested_through
from stock_movements as movements
left join postings
    on movements.event_id = postings.posted_event_id
