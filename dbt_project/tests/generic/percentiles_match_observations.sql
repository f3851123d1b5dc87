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

recomputed as (
    {%- for dimension in ['all'] + kpi_observation_dimensions() %}
    select
        observations.kpi_date,
        catalog.kpi_name,
        '{{ dimension }}' as dimension,
        {{ "'all'" if dimension == 'all' else 'observations.' ~ dimension }} as dimension_value,
        {{ percentile_at_level('observations.observation_value', 'catalog.percentile') }} as value,
        count(*) as observations
    from observations
    inner join catalog
        on observations.kpi_family = catalog.observation_family
    {%- if dimension != 'all' %}
    where observations.{{ dimension }} is not null
    {%- endif %}
    group by observations.kpi_date, catalog.kpi_name, catalog.percentile
        {%- if dimension != 'all' %}, observations.{{ dimension }}{% endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
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
