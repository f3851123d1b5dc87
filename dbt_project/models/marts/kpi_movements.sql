-- The KPIs that moved beyond their normal variation (the dashboards' "what changed"): each
-- KPI's overall value on its latest settled day against the var('kpi_movement_baseline_days')
-- complete days before that day. The latest settled day is the data horizon's day, less
-- var('kpi_movement_settle_days') days for a KPI counted on the day a case starts whose
-- outcome comes later (a transfer's receipt, a 72 h open order line): its freshest days hold
-- only the cases that finished fast and look better than they are. Normal variation is the
-- day-to-day spread of the baseline days, their sample standard deviation: a KPI moved when
-- its day lies more than var('kpi_movement_sigmas') of them from the baseline's mean (a
-- control-chart rule: a stable, roughly normal KPI lands there on about 3 days in 1000 at 3
-- sigmas; weekly seasonality widens the spread, so it errs on the quiet side), or, when the
-- baseline never varied, when the day differs from it at all. A baseline of fewer than
-- var('kpi_movement_min_days') days judges nothing. Daily values as kpi_daily holds them (a
-- ratio of the day, the day's percentile, a level).

{%- set baseline_days = var('kpi_movement_baseline_days') %}
{%- set settle_days = var('kpi_movement_settle_days') %}

with horizon as (
    select horizon_date from {{ ref('int_data_horizon') }}
),

catalog as (
    select
        kpi_name,
        label,
        unit,
        higher_is_better,
        {% if settle_days -%}
        case kpi_name
            {%- for kpi_name, days in settle_days.items() %}
            when '{{ kpi_name }}' then {{ days | int }}
            {%- endfor %}
            else 0
        end
        {%- else -%}
        0
        {%- endif %} as settle_days
    from {{ ref('kpi_catalog') }}
),

judged_days as (
    select
        catalog.*,
        {{ add_days('horizon.horizon_date', '-catalog.settle_days') }} as judged_date
    from catalog
    cross join horizon
),

daily as (
    select kpi_name, kpi_date, value
    from {{ ref('kpi_daily') }}
    where dimension = 'all' and is_complete and value is not null
),

judged_day as (
    select judged_days.*, daily.value
    from judged_days
    inner join daily
        on daily.kpi_name = judged_days.kpi_name and daily.kpi_date = judged_days.judged_date
),

day_before as (
    select judged_days.kpi_name, daily.value
    from judged_days
    inner join daily
        on daily.kpi_name = judged_days.kpi_name
        and daily.kpi_date = {{ add_days('judged_days.judged_date', -1) }}
),

baseline as (
    select
        judged_days.kpi_name,
        count(*) as baseline_days,
        avg(daily.value) as baseline_mean,
        stddev_samp(daily.value) as baseline_stddev,
        min(daily.value) as baseline_min,
        max(daily.value) as baseline_max
    from judged_days
    inner join daily
        on daily.kpi_name = judged_days.kpi_name
        and daily.kpi_date between {{ add_days('judged_days.judged_date', -baseline_days) }}
            and {{ add_days('judged_days.judged_date', -1) }}
    group by judged_days.kpi_name
),

judged as (
    select
        judged_day.kpi_name,
        judged_day.judged_date as kpi_date,
        judged_day.settle_days,
        judged_day.value,
        day_before.value as previous_day_value,
        coalesce(baseline.baseline_days, 0) as baseline_days,
        baseline.baseline_mean,
        -- a constant baseline spreads by nothing (not by float noise)
        case
            when baseline.baseline_min = baseline.baseline_max then 0
            else baseline.baseline_stddev
        end as baseline_stddev,
        baseline.baseline_min = baseline.baseline_max as baseline_is_constant,
        judged_day.value - baseline.baseline_mean as deviation,
        judged_day.label,
        judged_day.unit,
        judged_day.higher_is_better
    from judged_day
    left join day_before on day_before.kpi_name = judged_day.kpi_name
    left join baseline on baseline.kpi_name = judged_day.kpi_name
)

select
    cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(label as {{ dbt.type_string() }}) as label,
    cast(unit as {{ dbt.type_string() }}) as unit,
    cast(kpi_date as date) as kpi_date,
    cast(settle_days as bigint) as settle_days,
    cast(value as double) as value,
    cast(previous_day_value as double) as previous_day_value,
    cast(baseline_days as bigint) as baseline_days,
    cast(baseline_mean as double) as baseline_mean,
    cast(baseline_stddev as double) as baseline_stddev,
    cast(deviation as double) as deviation,
    cast(case when baseline_stddev > 0 then deviation / baseline_stddev end as double) as z_score,
    cast({{ var('kpi_movement_sigmas') }} as double) as sigmas,
    case
        when baseline_days < {{ var('kpi_movement_min_days') }} then cast(null as boolean)
        when baseline_is_constant then deviation <> 0
        else abs(deviation) > {{ var('kpi_movement_sigmas') }} * baseline_stddev
    end as is_moved,
    cast(
        case
            when deviation is null or deviation = 0 then 'flat'
            when (deviation > 0) = higher_is_better then 'better'
            else 'worse'
        end as {{ dbt.type_string() }}
    ) as direction
from judged
