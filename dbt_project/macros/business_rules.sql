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

{#- The horizon-dependent rules of the case models, one home each: the model computes the
    column with it, and its incremental build compares the stored column with it at the new
    horizon to find the rows the horizon's move changed (macros/incremental.sql). -#}

{#- Order exception "neither fulfilled nor cancelled open_order_line_hours after order_placed":
    decidable once that much time has passed by the horizon; a line closed after the
    deadline was open at it. -#}
{% macro order_line_is_open_overdue(placed_at, closed_at, horizon_at) -%}
    coalesce(
        {{ seconds_between(placed_at, horizon_at) }} >= {{ hours_var_seconds('open_order_line_hours') }}
        and (
            {{ closed_at }} is null
            or {{ seconds_between(placed_at, closed_at) }} > {{ hours_var_seconds('open_order_line_hours') }}
        ),
        false
    )
{%- endmacro %}

{#- A purchase order is due po_late_grace_hours after its latest expected_at (SPEC 5.1). -#}
{% macro po_due_at(expected_at) -%}
    {{ dbt.dateadd('second', (var('po_late_grace_hours') * 3600) | int, expected_at) }}
{%- endmacro %}

{#- Late at the horizon: past due_at, and the receipts up to the horizon fall short of the
    ordered quantity. -#}
{% macro po_is_late(horizon_at, due_at, received_quantity, ordered_quantity) -%}
    coalesce(
        {{ horizon_at }} > {{ due_at }}
        and not ({{ received_quantity }} > 0 and {{ received_quantity }} >= {{ ordered_quantity }}),
        false
    )
{%- endmacro %}
