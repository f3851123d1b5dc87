{#- The raw sources of the Spark target are the Parquet lake that omnistock/lake.py publishes
    (docs/deployment.md, "The Parquet lake"): before every run (on-run-start) each table of
    source `raw` becomes a view over its lake folder, so the models read `raw.<table>` on
    every engine. Partition columns (occurred_date, source_system) come back from the folder
    names; new partitions are found at query time. DuckDB reads the raw tables themselves. -#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'omnistock')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {#- where Spark finds the lake: a URL when it was copied to object storage, else the
            folder omnistock.lake publishes to -#}
        {%- set lake = env_var('OMNISTOCK_LAKE_URL', '') or env_var('OMNISTOCK_LAKE_DIR', '')
            or env_var('OMNISTOCK_HOME', '.omnistock') ~ '/lake' -%}
        {%- if '`' in lake -%}
            {{ exceptions.raise_compiler_error("The lake location must not contain a backtick: " ~ lake) }}
        {%- endif -%}
        {%- set tables = [] -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do tables.append(source) -%}
        {%- endfor -%}
        {%- for schema in tables | map(attribute='schema') | unique -%}
            {%- do run_query('create schema if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for source in tables -%}
            {%- do run_query(
                'create or replace view ' ~ source.schema ~ '.' ~ source.identifier
                ~ ' as select * from parquet.`' ~ lake.rstrip('/') ~ '/' ~ source.identifier ~ '`'
            ) -%}
        {%- endfor -%}
        {%- do log('raw sources: ' ~ tables | length ~ ' views over the lake at ' ~ lake, info=true) -%}
    {%- endif -%}
{%- endmacro %}
