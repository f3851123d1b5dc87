{#- Data tests on the new slice of an incremental model (issue 12).

    A data test on an incremental model (macros/incremental.sql) that holds row by row, or
    per key of the model's incremental unique_key, needs to look only at the rows the last
    build wrote: the rest were tested when they were written and have not changed since. Such
    a test says so with the placeholder where config

        config:
          where: "__new_slice__"

    which tests only the rows the latest build wrote: those whose watermark, ingested_through,
    is staging's latest ingested_at (macros/incremental.sql). A build that wrote nothing to
    the model leaves nothing to test. (dbt
    renders a .yml `where` without access to `this` or to project macros, so this override of
    dbt's get_where_subquery, the documented hook for custom `where` logic, expands the
    placeholder against the tested relation.) A unique test qualifies on the unique_key or a
    finer key: delete+insert replaces every stored row of a rebuilt key, so a duplicate can
    only be born inside the slice. Tests spanning rows of different builds (relationships
    to another model, totals) stay on the full table.

    The full set runs on a full refresh (dbt build --full-refresh, where every row is new
    anyway) and whenever the var full_tests is true (a scheduled check:
    dbt test --vars '{full_tests: true}'). On a model's first build every row carries the same
    watermark, so the slice is the whole table. -#}

{#- Whether data tests read only the new slice in this invocation. -#}
{% macro tests_new_slice_only() -%}
    {{ return(not (flags.FULL_REFRESH or var('full_tests', false))) }}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__new_slice__' in where -%}
        {%- if not tests_new_slice_only() -%}
            {%- set where = where | replace('__new_slice__', '1 = 1') -%}
        {%- else -%}
            {#- staging by its node in the graph: a ref() here would be a dependency dbt
                cannot see when it parses the test -#}
            {%- set staging = graph.nodes.values() | selectattr('name', 'equalto', 'stg_inventory_events') | first -%}
            {%- set events = api.Relation.create(
                database=staging.database, schema=staging.schema, identifier=staging.alias
            ) -%}
            {%- set where = where | replace(
                '__new_slice__', 'ingested_through = (select max(ingested_at) from ' ~ events ~ ')'
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
