{#- Engine-specific SQL lives here, behind adapter.dispatch, so models stay portable.
    duckdb__ is the production path; spark__ is the planned scale-out path; default__ is ANSI
    where one exists. Prefer dbt's own cross-database macros (dbt.dateadd, dbt.safe_cast, ...)
    in models. -#}

{#- Text value of a top-level key of a JSON object held in a string column. -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'omnistock')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_path_text({{ column }}, '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}


{#- Exact seconds from start to end (fractions kept). dbt.datediff counts boundaries crossed,
    which is wrong for durations ("23:59 -> 00:01" is one hour boundary, 2 minutes). -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'omnistock')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    cast(extract(epoch from ({{ end_ts }} - {{ start_ts }})) as double precision)
{%- endmacro %}

{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }}))
{%- endmacro %}

{% macro spark__seconds_between(start_ts, end_ts) -%}
    (cast({{ end_ts }} as double) - cast({{ start_ts }} as double))
{%- endmacro %}


{#- Continuous percentile with linear interpolation (SPEC 5: DuckDB quantile_cont). -#}
{% macro percentile_cont(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'omnistock')(expr, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expr, fraction) -%}
    quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{#- Spark's exact percentile also interpolates linearly (percentile_approx would not). -#}
{% macro spark__percentile_cont(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}


{#- ISO-8601 text with an offset or Z -> UTC timestamp without time zone; null if unparseable. -#}
{% macro parse_utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'omnistock')(expr)) }}
{%- endmacro %}

{% macro default__parse_utc_timestamp(expr) -%}
    cast(cast({{ expr }} as timestamp with time zone) at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro duckdb__parse_utc_timestamp(expr) -%}
    (try_cast({{ expr }} as timestamptz) at time zone 'UTC')
{%- endmacro %}

{#- Spark keeps instants; run the session with spark.sql.session.timeZone=UTC. -#}
{% macro spark__parse_utc_timestamp(expr) -%}
    to_timestamp({{ expr }})
{%- endmacro %}


{#- A one-column relation `calendar_date` with every day from start_date to end_date
    (inclusive); both arguments are SQL date expressions (scalar subqueries are fine). -#}
{% macro date_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_series', 'omnistock')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_series(start_date, end_date) -%}
    select cast(calendar_day as date) as calendar_date
    from generate_series(
        cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day'
    ) as days(calendar_day)
{%- endmacro %}

{% macro duckdb__date_series(start_date, end_date) -%}
    select cast(unnest(generate_series(
        cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day
    )) as date) as calendar_date
{%- endmacro %}

{#- sequence() raises on start > end where generate_series is empty: guard it (explode of a
    null array gives no rows, like an empty series). -#}
{% macro spark__date_series(start_date, end_date) -%}
    select explode(case when cast({{ start_date }} as date) <= cast({{ end_date }} as date) then sequence(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day
    ) end) as calendar_date
{%- endmacro %}


{#- A date plus n days, as a date (dbt.dateadd returns a timestamp on some engines). -#}
{% macro add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}
