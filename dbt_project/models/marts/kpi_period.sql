-- Every KPI over the standard periods: the last var('kpi_period_days') complete days ending
-- on the data horizon's day ('current') and the as-long period before ('previous'), overall
-- and per dimension value, aggregated as kpi_catalog says (SPEC 5): ratios and means as
-- summed numerators over summed denominators, counts summed, levels read on the period's
-- last day with rows, percentiles recomputed from the period's observations. Only complete
-- days count. The omnistock summary and the Dagster metadata read it; the dashboards take
-- their default window from it and aggregate other windows the same way.

{%- set period_days = var('kpi_period_days') %}

with horizon as (
    select horizon_date from {{ ref('int_data_horizon') }}
),

periods as (
    select
        'current' as period,
        cast({{ dbt.dateadd('day', 1 - period_days, 'horizon_date') }} as date) as period_start,
        horizon_date as period_end
    from horizon

    union all

    select
        'previous' as period,
        cast({{ dbt.dateadd('day', 1 - 2 * period_days, 'horizon_date') }} as date) as period_start,
        cast({{ dbt.dateadd('day', -period_days, 'horizon_date') }} as date) as period_end
    from horizon
),

catalog as (
    select kpi_name, aggregation, percentile, observation_family from {{ ref('kpi_catalog') }}
),

daily_rows as (
    select
        periods.period,
        periods.period_start,
        periods.period_end,
        catalog.aggregation,
        kpis.kpi_name,
        kpis.kpi_date,
        kpis.dimension,
        kpis.dimension_value,
        kpis.value,
        kpis.numerator,
        kpis.denominator
    from {{ ref('kpi_daily') }} as kpis
    inner join catalog
        on kpis.kpi_name = catalog.kpi_name
    inner join periods
        on kpis.kpi_date between periods.period_start and periods.period_end
    where kpis.is_complete and catalog.aggregation <> 'percentile'
),

-- a level (e.g. negative stock positions) is a stock, not a flow: its last day stands
dated_rows as (
    select
        daily_rows.*,
        max(kpi_date) over (partition by period, kpi_name, dimension) as last_day
    from daily_rows
),

summed as (
    select
        period,
        period_start,
        period_end,
        kpi_name,
        dimension,
        dimension_value,
        case
            when aggregation in ('count', 'level') then sum(value)
            else sum(numerator) / nullif(sum(denominator), 0)
        end as value,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from dated_rows
    where aggregation <> 'level' or kpi_date = last_day
    group by period, period_start, period_end, aggregation, kpi_name, dimension, dimension_value
),

observations as (
    select
        periods.period,
        periods.period_start,
        periods.period_end,
        catalog.kpi_name,
        catalog.percentile,
        observations.*
    from {{ ref('kpi_observations') }} as observations
    inner join catalog
        on observations.kpi_family = catalog.observation_family
    inner join periods
        on observations.kpi_date between periods.period_start and periods.period_end
    where observations.is_complete
),

percentiles as (
    {%- for dimension in ['all'] + kpi_observation_dimensions() %}
    select
        period,
        period_start,
        period_end,
        kpi_name,
        '{{ dimension }}' as dimension,
        {{ "'all'" if dimension == 'all' else dimension }} as dimension_value,
        {{ percentile_at_level('observation_value', 'percentile') }} as value,
        cast(null as double) as numerator,
        count(*) as denominator
    from observations
    {%- if dimension != 'all' %}
    where {{ dimension }} is not null
    {%- endif %}
    group by period, period_start, period_end, kpi_name, percentile
        {%- if dimension != 'all' %}, {{ dimension }}{% endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

kpis as (
    select * from summed
    union all
    select * from percentiles
)

select
    cast(period as {{ dbt.type_string() }}) as period,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(dimension as {{ dbt.type_string() }}) as dimension,
    cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
    cast(value as double) as value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator
from kpis
