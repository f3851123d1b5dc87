{#- Per source system: the time through which its regular feed is complete (SPEC 5, "The data
    horizon"). A source's regular flow is made of its full days: a UTC day of occurred_at
    belongs to it when the source has at least watermark_min_day_share of its typical day's
    event count on that day. The watermark is the latest occurred_at on such a day; the
    earliest occurred_at on one is where the regular flow starts.

    The typical day is the median day of the source, taken a second time over the days that
    pass the share of the first median: stray days at the bottom of a short history can drag
    the first median down, not the second (up to half of the days may be stray); heavy days
    (a weekly full stock snapshot) move neither, unless they are half of the days.

    Why volume per day: a handful of events on a day of their own (cycle-count answers landed
    after the feed, one record dated 9999-12-31 or 2000-01-01) is far below a normal day of the
    same source, so it can move neither end; a day the feed really delivered passes easily
    (a partial last day too, down to a quarter of a normal one). A few grouped scans, no
    thresholds in absolute numbers, the same answer on every rebuild. -#}

with source_days as (
    select
        source_system,
        occurred_date,
        count(*) as day_events,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at
    from {{ ref('stg_inventory_events') }}
    group by source_system, occurred_date
),

-- the typical day: the median day, taken again without the days thinner than the share of
-- the first median (so stray days cannot drag it down on a short history)
all_days as (
    select
        source_system,
        sum(day_events) as events,
        max(last_occurred_at) as latest_occurred_at,
        {{ percentile_cont('day_events', 0.5) }} as median_day_events
    from source_days
    group by source_system
),

source_volumes as (
    select
        all_days.source_system,
        max(all_days.events) as events,
        max(all_days.latest_occurred_at) as latest_occurred_at,
        {{ percentile_cont('source_days.day_events', 0.5) }} as typical_day_events
    from source_days
    inner join all_days
        on source_days.source_system = all_days.source_system
    where source_days.day_events >= {{ var('watermark_min_day_share') }} * all_days.median_day_events
    group by all_days.source_system
),

regular_days as (
    select source_days.*
    from source_days
    inner join source_volumes
        on source_days.source_system = source_volumes.source_system
    where source_days.day_events >= {{ var('watermark_min_day_share') }} * source_volumes.typical_day_events
),

regular_flows as (
    select
        source_system,
        count(*) as regular_days,
        sum(day_events) as regular_events,
        min(first_occurred_at) as regular_from_at,
        max(last_occurred_at) as watermark_at
    from regular_days
    group by source_system
),

watermarks as (
    select
        volumes.source_system,
        volumes.source_system in {{ sql_list(var('regular_feeds')) }} as is_regular_feed,
        flows.watermark_at,
        flows.regular_from_at,
        volumes.latest_occurred_at,
        volumes.events,
        flows.regular_events,
        volumes.events - flows.regular_events as events_outside_regular_days,
        flows.regular_days,
        volumes.typical_day_events
    from source_volumes as volumes
    inner join regular_flows as flows
        on volumes.source_system = flows.source_system
),

leader as (
    select max(watermark_at) as leader_watermark_at
    from watermarks
    where is_regular_feed
)

select
    cast(watermarks.source_system as {{ dbt.type_string() }}) as source_system,
    watermarks.is_regular_feed,
    cast(watermarks.watermark_at as {{ dbt.type_timestamp() }}) as watermark_at,
    cast(watermarks.regular_from_at as {{ dbt.type_timestamp() }}) as regular_from_at,
    cast(watermarks.latest_occurred_at as {{ dbt.type_timestamp() }}) as latest_occurred_at,
    cast(watermarks.events as bigint) as events,
    cast(watermarks.events_outside_regular_days as bigint) as events_outside_regular_days,
    cast(watermarks.regular_days as bigint) as regular_days,
    cast(watermarks.typical_day_events as double) as typical_day_events,
    cast(leader.leader_watermark_at as {{ dbt.type_timestamp() }}) as leader_watermark_at,
    cast(
        {{ seconds_between('watermarks.watermark_at', 'leader.leader_watermark_at') }} / 3600.0
        as double
    ) as lag_behind_leader_h,
    cast({{ var('source_freshness_max_lag_hours') }} as double) as max_lag_hours,
    coalesce(
        watermarks.is_regular_feed
        and {{ seconds_between('watermarks.watermark_at', 'leader.leader_watermark_at') }}
            > {{ hours_var_seconds('source_freshness_max_lag_hours') }},
        false
    ) as is_lagging
from watermarks
cross join leader
