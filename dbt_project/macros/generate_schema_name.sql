{#- Layers land in schemas named after them (staging, intermediate, marts) rather than dbt's
    default "<target schema>_<custom>", so consumers read e.g. marts.kpi_daily. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
