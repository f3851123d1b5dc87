{#- Hours from a dbt var as seconds, for comparisons against seconds_between(). -#}
{% macro hours_var_seconds(var_name) -%}
    {{ var(var_name) * 3600 }}
{%- endmacro %}

{#- SLA in hours of the stage a case sits in (SPEC 5.1), from the stalled_case_sla_hours var:
    "<workflow>.<last activity>", then "<workflow>", then "default" (72 h if absent). -#}
{% macro stalled_sla_hours(workflow, last_activity) -%}
    {%- set slas = var('stalled_case_sla_hours') -%}
    {%- set stage_slas = [] -%}
    {%- set workflow_slas = [] -%}
    {%- for key, hours in slas.items() if key != 'default' -%}
        {%- do (stage_slas if '.' in key else workflow_slas).append((key, hours)) -%}
    {%- endfor -%}
    {%- if stage_slas or workflow_slas -%}
    case
    {%- for key, hours in stage_slas %}
        when {{ workflow }} = '{{ key.split('.')[0] }}' and {{ last_activity }} = '{{ key.split('.', 1)[1] }}' then {{ hours }}
    {%- endfor %}
    {%- for key, hours in workflow_slas %}
        when {{ workflow }} = '{{ key }}' then {{ hours }}
    {%- endfor %}
        else {{ slas.get('default', 72) }}
    end
    {%- else -%}
    {{ slas.get('default', 72) }}
    {%- endif -%}
{%- endmacro %}
