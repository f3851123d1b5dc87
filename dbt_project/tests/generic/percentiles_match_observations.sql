{#- Every percentile row of kpi_daily (per day, dimension and value) equals the percentile of
    that day's observations in `model` (kpi_observations), with as many observations, and
    every group of observations has its kpi_daily row: the two read the same rows. Returns
    the rows that disagree. When data tests read the new slice (macros/test_slices.sql), `model`
    holds the days its latest build rewrote, and only those days of kpi_daily are compared. -#}
{% test percentiles_match_observations(model, kpi_daily, catalog) %}

with observations as (
    select * from {{ model }}
),

catalog as (
    select kpi_name, percentile, observation_family
    from {{ catalog }}
    where aggregation = 'percentile'
),

daily as (
    select kpis.kpi_date, kpis.kpi_name, kpis.dimension, kpis.dimension_value, kpis.value,
        kpis.denominator
    from {{ kpi_daily }} as kpis
    inner join catalog
        on kpis.kpi_name = catalog.kpi_name
    {%- if tests_new_slice_only() %}
    where kpis.kpi_date in (select kpi_date from observations)
    {%- endif %}
),

-- every level of a group at once, each observation read once per dimension (joined to the
-- catalog first, an observation would be aggregated once per KPI of its family and level)
recomputed_levels as (
    {%- for dimension in ['all'] + kpi_observation_dimensions() %}
    select
        kpi_family,
        kpi_date,
        '{{ dimension }}' as dimension,
        {{ "'all'" if dimension == 'all' else dimension }} as dimension_value,
        {%- for level in kpi_percentile_levels() %}
        {{ percentile_cont('observation_value', level / 100) }} as p{{ level }},
        {%- endfor %}
        count(*) as observations
    from observations
    {%- if dimension != 'all' %}
    where {{ dimension }} is not null
    {%- endif %}
    group by kpi_family, kpi_date
        {%- if dimension != 'all' %}, {{ dimension }}{% endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

recomputed as (
    select
        levels.kpi_date,
        catalog.kpi_name,
        levels.dimension,
        levels.dimension_value,
        case catalog.percentile
            {%- for level in kpi_percentile_levels() %}
            when {{ level / 100 }} then levels.p{{ level }}
            {%- endfor %}
        end as value,
        levels.observations
    from recomputed_levels as levels
    inner join catalog
        on levels.kpi_family = catalog.observation_family
)

select
    coalesce(daily.kpi_date, recomputed.kpi_date) as kpi_date,
    coalesce(daily.kpi_name, recomputed.kpi_name) as kpi_name,
    coalesce(daily.dimension, recomputed.dimension) as dimension,
    coalesce(daily.dimension_value, recomputed.dimension_value) as dimension_value,
    daily.value as daily_value,
    recomputed.value as recomputed_value,
    daily.denominator as daily_observations,
    recomputed.observations as observations
from daily
full outer join recomputed
    on daily.kpi_date = recomputed.kpi_date
    and daily.kpi_name = recomputed.kpi_name
    and daily.dimension = recomputed.dimension
    and daily.dimension_value = recomputed.dimension_value
where daily.kpi_name is null
    or recomputed.kpi_name is null
    or daily.denominator <> recomputed.observations
    or not coalesce(
        abs(daily.value - recomputed.value) <= 1e-9 * (1 + abs(daily.value)),
        daily.value is null and recomputed.value is null
    )

{% endtest %}
