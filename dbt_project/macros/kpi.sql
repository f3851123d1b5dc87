{#- The KPI shapes of SPEC 5. Each emits rows of the long kpi_daily table for one KPI:
    the overall row (dimension = dimension_value = 'all') and one row per value of each
    dimension. `relation` is a relation or CTE name with a kpi_date column, the dimension
    columns and the measure columns. A missing dimension value is reported as 'unknown'. -#}

{% macro kpi_rows(kpi_name, relation, dimensions, value, numerator, denominator, dimension_filter=none) -%}
    {%- for dimension in ['all'] + dimensions %}
    select
        kpi_date,
        '{{ kpi_name }}' as kpi_name,
        '{{ dimension }}' as dimension,
        {% if dimension == 'all' -%}
        'all'
        {%- else -%}
        coalesce(cast({{ dimension }} as {{ dbt.type_string() }}), 'unknown')
        {%- endif %} as dimension_value,
        cast({{ value }} as double) as value,
        cast({{ numerator }} as double) as numerator,
        cast({{ denominator }} as double) as denominator
    from {{ relation }}
    {%- if dimension != 'all' and dimension_filter %}
    where {{ dimension_filter | replace('{dimension}', dimension) }}
    {%- endif %}
    group by kpi_date{% if dimension != 'all' %}, {{ dimension }}{% endif %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- numerator / denominator in double precision, null when the denominator is 0. Not `* 1.0`:
    Spark makes that a decimal division, whose rounding to 17 digits is not the double
    quotient (2/3 would come out one ulp off DuckDB's). -#}
{% macro ratio(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0)
{%- endmacro %}


{#- A ratio: sum(numerator) / sum(denominator), both kept for re-aggregation.
    cause_dimensions describe only the numerator (e.g. the reason_code of a failure): their
    rows divide the numerator of each cause by the day's whole denominator. -#}
{% macro kpi_ratio(kpi_name, relation, numerator, denominator, dimensions=[], cause_dimensions=[]) -%}
    {{ kpi_rows(
        kpi_name, relation, dimensions,
        value=ratio('sum(' ~ numerator ~ ')', 'sum(' ~ denominator ~ ')'),
        numerator='sum(' ~ numerator ~ ')',
        denominator='sum(' ~ denominator ~ ')'
    ) }}
    {%- for cause in cause_dimensions %}
    union all
    select
        causes.kpi_date,
        '{{ kpi_name }}' as kpi_name,
        '{{ cause }}' as dimension,
        causes.dimension_value,
        {{ ratio('causes.numerator', 'daily.denominator') }} as value,
        cast(causes.numerator as double) as numerator,
        cast(daily.denominator as double) as denominator
    from (
        select
            kpi_date,
            coalesce(cast({{ cause }} as {{ dbt.type_string() }}), 'unknown') as dimension_value,
            sum({{ numerator }}) as numerator
        from {{ relation }}
        where {{ numerator }} > 0
        group by kpi_date, {{ cause }}
    ) as causes
    inner join (
        select kpi_date, sum({{ denominator }}) as denominator
        from {{ relation }}
        group by kpi_date
    ) as daily
        on causes.kpi_date = daily.kpi_date
    {%- endfor %}
{%- endmacro %}


{#- A count of incidents: sum of a 0/1 (or count) column. Rows with a zero count keep the
    day visible in the overall series; a dimension without a value on a zero row (e.g. the
    location of an oversell that did not happen) is left out rather than called 'unknown'. -#}
{% macro kpi_count(kpi_name, relation, count_column, dimensions=[]) -%}
    {{ kpi_rows(
        kpi_name, relation, dimensions,
        value='sum(' ~ count_column ~ ')',
        numerator='null',
        denominator='null',
        dimension_filter='({dimension} is not null or ' ~ count_column ~ ' > 0)'
    ) }}
{%- endmacro %}


{#- A mean per observation: numerator = sum, denominator = number of observations. -#}
{% macro kpi_mean(kpi_name, relation, value_column, dimensions=[]) -%}
    {{ kpi_rows(
        kpi_name, relation, dimensions,
        value='avg(' ~ value_column ~ ')',
        numerator='sum(' ~ value_column ~ ')',
        denominator='count(' ~ value_column ~ ')'
    ) }}
{%- endmacro %}


{#- Percentiles of a duration, named <metric>_p<NN>_<unit> (e.g. reservation_latency_p95_s).
    value = the interpolated percentile; denominator = number of observations. -#}
{% macro kpi_percentiles(metric, unit, relation, value_column, dimensions=[], percentiles=none) -%}
    {%- for percentile in percentiles or kpi_percentile_levels() %}
    {{ kpi_rows(
        metric ~ '_p' ~ percentile ~ '_' ~ unit, relation, dimensions,
        value=percentile_cont(value_column, percentile / 100),
        numerator='null',
        denominator='count(' ~ value_column ~ ')'
    ) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- The percentile levels KPIs are computed at (the _pNN_ of their names); kpi_catalog's
    `percentile` column accepts exactly these (as fractions). -#}
{% macro kpi_percentile_levels() -%}
    {{ return([50, 95]) }}
{%- endmacro %}


{#- The percentile named by `level_column` (a fraction, one of kpi_percentile_levels) of
    `value_column` within the group: the level varies by KPI row, an aggregate's level must
    be a constant, so each level is its own branch. -#}
{% macro percentile_at_level(value_column, level_column) -%}
    case {{ level_column }}
        {%- for level in kpi_percentile_levels() %}
        when {{ level / 100 }} then {{ percentile_cont(value_column, level / 100) }}
        {%- endfor %}
    end
{%- endmacro %}


{#- A KPI day is complete from the data's start through the data horizon's day (SPEC 4):
    every regular feed has delivered it. `horizon` is a relation or alias with the columns of
    int_data_horizon. -#}
{% macro kpi_day_is_complete(date_column, horizon) -%}
    coalesce(
        {{ date_column }} >= {{ horizon }}.data_start_date
        and {{ date_column }} <= {{ horizon }}.horizon_date,
        false
    )
{%- endmacro %}


{#- The columns of kpi_observations that cut a percentile KPI: its kpi_daily dimensions. -#}
{% macro kpi_observation_dimensions() -%}
    {{ return(['channel', 'location_id', 'origin', 'destination', 'source_system', 'event_type']) }}
{%- endmacro %}


{#- The kpi_observations rows of one family: kpi_family, kpi_date, observation_value and
    every column of kpi_observation_dimensions(); `cut_by` maps the family's dimensions to
    the relation's columns (a missing value becomes 'unknown', as in kpi_daily), the others
    stay null. -#}
{% macro kpi_observation_rows(family, kpi_date, value, relation, where, cut_by) -%}
    select
        '{{ family }}' as kpi_family,
        {{ kpi_date }} as kpi_date,
        {{ value }} as observation_value
        {%- for dimension in kpi_observation_dimensions() %},
        {% if dimension in cut_by -%}
        coalesce(cast({{ cut_by[dimension] }} as {{ dbt.type_string() }}), 'unknown')
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as {{ dimension }}
        {%- endfor %}
    from {{ relation }}
    where {{ where }}
{%- endmacro %}
