{#- The data horizon (SPEC 5): the earliest watermark of the regular feeds (var regular_feeds).
    Through horizon_at every regular feed is complete, so every "as of", age, SLA and "still
    open" is measured there, and no model expands days past horizon_date. Sources outside the
    list (cycle-count answers come in pos/wms files, but also customer_service,
    supplier_portal, replays) never move it. Only when no regular feed has delivered anything
    (a partial deployment) do the other sources' watermarks stand in. -#}

with watermarks as (
    select * from {{ ref('int_source_watermarks') }}
),

feeds as (
    select * from watermarks where is_regular_feed
    union all
    select * from watermarks
    where not is_regular_feed
        and not exists (select 1 from watermarks as regular where regular.is_regular_feed)
),

horizon as (
    select
        min(watermark_at) as horizon_at,
        min(regular_from_at) as regular_from_at,
        count(*) as feeds
    from feeds
),

-- the feed whose watermark is the horizon (the first by name on a tie)
horizon_source as (
    select min(feeds.source_system) as horizon_source
    from feeds
    inner join horizon on feeds.watermark_at = horizon.horizon_at
)

select
    cast(horizon.horizon_at as {{ dbt.type_timestamp() }}) as horizon_at,
    cast(horizon.horizon_at as date) as horizon_date,
    cast(horizon.regular_from_at as date) as data_start_date,
    cast(horizon_source.horizon_source as {{ dbt.type_string() }}) as horizon_source,
    cast(horizon.feeds as bigint) as feeds
from horizon
cross join horizon_source
