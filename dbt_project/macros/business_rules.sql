{#- Hours from a dbt var as seconds, for comparisons against seconds_between(). -#}
{% macro hours_var_seconds(var_name) -%}
    {{ var(var_name) * 3600 }}
{%- endmacro %}

{#- SLA in hours for a stalled case: "<workflow>.<last activity>", then "<workflow>", then
    "default" from the stalled_case_sla_hours var (SPEC 5.1: default 72 h, per workflow). -#}
{% macro stalled_sla_hours(workflow, last_activity) -%}
    {%- set slas = var('stalled_case_sla_hours') -%}
    case
    {%- for key, hours in slas.items() if '.' in key %}
        when {{ workflow }} = '{{ key.split('.')[0] }}' and {{ last_activity }} = '{{ key.split('.')[1] }}' then {{ hours }}
    {%- endfor %}
    {%- for key, hours in slas.items() if '.' not in key and key != 'default' %}
        when {{ workflow }} = '{{ key }}' then {{ hours }}
    {%- endfor %}
        else {{ slas.get('default', 72) }}
    end
{%- endmacro %}
