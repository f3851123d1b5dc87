{#- SPEC 4.1 as data: every event type's workflow, its effect on the book quantity at
    location_id, and its rank in the workflow's normal order (a tie-breaker for events with
    the same occurred_at, e.g. a POS order placed and fulfilled in the same second). -#}
{% macro event_catalog() -%}
    {{ return({
        'order_placed':          {'workflow': 'order',         'stock': none, 'rank': 10},
        'reservation_requested': {'workflow': 'order',         'stock': none, 'rank': 20},
        'reservation_failed':    {'workflow': 'order',         'stock': none, 'rank': 30},
        'reservation_confirmed': {'workflow': 'order',         'stock': none, 'rank': 30},
        'order_fulfilled':       {'workflow': 'order',         'stock': -1,   'rank': 40},
        'order_cancelled':       {'workflow': 'order',         'stock': none, 'rank': 50},
        'sale':                  {'workflow': 'sale',          'stock': -1,   'rank': 10},
        'transfer_requested':    {'workflow': 'transfer',      'stock': none, 'rank': 10},
        'transfer_approved':     {'workflow': 'transfer',      'stock': none, 'rank': 20},
        'transfer_shipped':      {'workflow': 'transfer',      'stock': -1,   'rank': 30},
        'transfer_received':     {'workflow': 'transfer',      'stock': 1,    'rank': 40},
        'return_initiated':      {'workflow': 'return',        'stock': none, 'rank': 10},
        'return_received':       {'workflow': 'return',        'stock': none, 'rank': 20},
        'return_inspected':      {'workflow': 'return',        'stock': none, 'rank': 30},
        'return_restocked':      {'workflow': 'return',        'stock': 1,    'rank': 40},
        'refund_issued':         {'workflow': 'return',        'stock': none, 'rank': 50},
        'po_created':            {'workflow': 'replenishment', 'stock': none, 'rank': 10},
        'po_acknowledged':       {'workflow': 'replenishment', 'stock': none, 'rank': 20},
        'po_received':           {'workflow': 'replenishment', 'stock': 1,    'rank': 30},
        'stock_snapshot':        {'workflow': 'stock',         'stock': none, 'rank': 10},
        'inventory_adjusted':    {'workflow': 'stock',         'stock': 1,    'rank': 20},
        'cycle_count_completed': {'workflow': 'stock',         'stock': none, 'rank': 30},
        'erp_posted':            {'workflow': 'finance',       'stock': none, 'rank': 10},
        'api_call':              {'workflow': 'integration',   'stock': none, 'rank': 10},
    }) }}
{%- endmacro %}

{#- Event types that move the book quantity (and are each posted to the ERP once). -#}
{% macro stock_moving_event_types() -%}
    {%- set moving = [] -%}
    {%- for event_type, spec in event_catalog().items() if spec.stock is not none -%}
        {%- do moving.append(event_type) -%}
    {%- endfor -%}
    {{ return(moving) }}
{%- endmacro %}

{#- The workflows that have cases in the process log (SPEC 5.1). -#}
{% macro process_workflows() -%}
    {{ return(['order', 'transfer', 'return', 'replenishment']) }}
{%- endmacro %}

{% macro sql_list(values) -%}
    ({%- for value in values -%}'{{ value }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{% macro workflow_of(event_type) -%}
    case {{ event_type }}
    {%- for name, spec in event_catalog().items() %}
        when '{{ name }}' then '{{ spec.workflow }}'
    {%- endfor %}
    end
{%- endmacro %}

{% macro activity_rank(event_type) -%}
    case {{ event_type }}
    {%- for name, spec in event_catalog().items() %}
        when '{{ name }}' then {{ spec.rank }}
    {%- endfor %}
        else 0
    end
{%- endmacro %}

{#- Signed change of the book quantity at location_id (inventory_adjusted is already signed;
    stock_snapshot sets the quantity and is handled by the ledger, so it is 0 here). -#}
{% macro stock_delta(event_type, quantity) -%}
    case {{ event_type }}
    {%- for name, spec in event_catalog().items() if spec.stock is not none %}
        when '{{ name }}' then {{ spec.stock }} * {{ quantity }}
    {%- endfor %}
        else 0
    end
{%- endmacro %}

{#- SPEC 4.1: an API call has failed when its status_code is 0 (timeout) or >= 500. -#}
{% macro is_failed_status(status_code) -%}
    ({{ status_code }} = 0 or {{ status_code }} >= 500)
{%- endmacro %}

{#- Terminal events per workflow (SPEC 5.1); a return is also closed by an inspection with
    any disposition other than restock. -#}
{% macro is_terminal_event(event_type, reason_code) -%}
    (
        {{ event_type }} in ('order_fulfilled', 'order_cancelled', 'transfer_received',
                             'return_restocked', 'po_received')
        or ({{ event_type }} = 'return_inspected' and coalesce({{ reason_code }}, '') <> 'restock')
    )
{%- endmacro %}
