-- The alert conditions that hold at the data horizon. Two rules live here, beside the numbers
-- they read: a KPI of the current standard period beyond its alert threshold, and a regular feed
-- lagging behind the others (or silent). omnistock.alerts turns new conditions into alert
-- records and adds what dbt cannot see: failed checks of a run, newly high-risk locations.

{%- set regular_feeds = var('regular_feeds') %}

with current_kpis as (
    select kpi_name, value
    from {{ ref('kpi_period') }}
    where period = 'current' and dimension = 'all'
),

kpi_breaches as (
    select
        'kpi_threshold' as rule,
        kpi.kpi_name as subject,
        thresholds.severity,
        catalog.label,
        catalog.unit,
        kpi.value,
        thresholds.threshold
    from current_kpis as kpi
    inner join {{ ref('alert_thresholds') }} as thresholds on thresholds.kpi_name = kpi.kpi_name
    inner join {{ ref('kpi_catalog') }} as catalog on catalog.kpi_name = kpi.kpi_name
    where
        (catalog.higher_is_better and kpi.value < thresholds.threshold)
        or (not catalog.higher_is_better and kpi.value > thresholds.threshold)
),

regular_feeds as (
    {%- for feed in regular_feeds %}
    select '{{ feed }}' as source_system
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

stale_sources as (
    -- lagging, or a regular feed without a single regular day (it holds the horizon back too)
    select
        'stale_source' as rule,
        feeds.source_system as subject,
        'warning' as severity,
        feeds.source_system as label,
        'h' as unit,
        watermarks.lag_behind_leader_h as value,
        {{ var('source_freshness_max_lag_hours') }} as threshold
    from regular_feeds as feeds
    left join {{ ref('int_source_watermarks') }} as watermarks
        on watermarks.source_system = feeds.source_system
    where watermarks.source_system is null or watermarks.is_lagging
),

conditions as (
    select * from kpi_breaches
    union all
    select * from stale_sources
)

select
    cast(conditions.rule as {{ dbt.type_string() }}) as rule,
    cast(conditions.subject as {{ dbt.type_string() }}) as subject,
    cast(conditions.severity as {{ dbt.type_string() }}) as severity,
    cast(conditions.label as {{ dbt.type_string() }}) as label,
    cast(conditions.unit as {{ dbt.type_string() }}) as unit,
    cast(conditions.value as double) as value,
    cast(conditions.threshold as double) as threshold,
    horizon.horizon_at
from conditions
cross join {{ ref('int_data_horizon') }} as horizon
