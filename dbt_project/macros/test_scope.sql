{#- Data tests on incremental models test the new slice in pipeline runs (issue 12, item 2).

    The var test_scope says what a data test that allows it reads:
      'all'    (default: CI, `make test`, a full refresh) every row;
      'slice'  (pipeline runs: --vars '{test_scope: slice}') the rows the latest build wrote,
               those whose ingested_through is the model's max(ingested_through)
               (macros/incremental.sql): a first build or a full refresh writes every row,
               so there the slice is the whole table.

    A test allows it when a violation is always visible within the rows a build rewrote: a
    row-level test (not_null, accepted_values, relationships, expression_is_true) and
    uniqueness on a key that contains the model's unique key (an incremental build replaces
    every row of a key it touches). A test opts in with the where config placeholder:

        data_tests:
          - not_null:
              config:
                where: __test_scope__

    dbt's generic-test config parser cannot call project macros in .yml (it stops with "the
    generic test configuration parser currently does not support using custom macros"), so
    the placeholder is replaced at run time, in get_where_subquery below, by slice_filter(). -#}

{% macro slice_filter(relation) -%}
    {%- if var('test_scope', 'all') == 'slice' -%}
        ingested_through = (select max(ingested_through) from {{ relation }})
    {%- elif var('test_scope', 'all') == 'all' -%}
        1 = 1
    {%- else -%}
        {{ exceptions.raise_compiler_error("var test_scope is 'all' or 'slice', not '" ~ var('test_scope') ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{#- dbt's get_where_subquery (materializations/tests/where_subquery.sql), with the
    __test_scope__ placeholder of a where config replaced by slice_filter(). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__test_scope__', slice_filter(relation)) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
