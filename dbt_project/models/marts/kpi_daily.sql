-- Every KPI of SPEC 5 in one long table: per day, overall (dimension = 'all') and per named
-- dimension. Each KPI's logic lives in an intermediate int_kpi__<area> model. A day after the
-- data horizon's day is incomplete (is_complete = false): some regular feed has not delivered
-- it yet, so its KPIs are partial and must not be shown as a finished day. So is a day before
-- the data's start (only stray records carry such dates).
-- Incremental: a build recomputes only the days that can have changed since the last one
-- (macros/kpi_days.sql says which, KPI by KPI) from the same views; the others are kept.
-- depends_on: {{ ref('stg_inventory_events') }}, {{ ref('int_erp_reconciliation') }}
-- depends_on: {{ ref('int_stock_ledger_daily') }}, {{ ref('int_api_calls') }}

{%- set days = rebuilt_kpi_days() if is_incremental() else [] %}
{{ config(**incremental_by_kpi_day('kpi_name')) }}

{%- set kpi_models = [
    'int_kpi__reservations',
    'int_kpi__orders',
    'int_kpi__transfers',
    'int_kpi__returns',
    'int_kpi__reconciliation',
    'int_kpi__stock',
    'int_kpi__suppliers',
    'int_kpi__feeds',
    'int_kpi__integrations',
] %}

with kpis as (
    {%- for kpi_model in kpi_models %}
    select kpi_date, kpi_name, dimension, dimension_value, value, numerator, denominator
    from {{ ref(kpi_model) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

horizon as (
    select horizon_date, data_start_date from {{ ref('int_data_horizon') }}
)
{%- if is_incremental() %},

rebuilt_days as (
    {{ kpi_days_relation(days) }}
)
{%- endif %}

select
    cast(kpi_date as date) as kpi_date,
    cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(dimension as {{ dbt.type_string() }}) as dimension,
    cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
    cast(value as double) as value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    {{ kpi_day_is_complete('kpis.kpi_date', 'horizon') }} as is_complete,
    {{ ingested_through() }} as ingested_through
from kpis
cross join horizon
where kpis.kpi_date is not null
{%- if is_incremental() %}
    and {{ in_kpi_days('kpis.kpi_date', days) }}

-- one marker row per recomputed day (deleted by the post-hook): delete+insert clears a day
-- even when none of its rows is left
union all
select
    cast(kpi_date as date) as kpi_date,
    cast(null as {{ dbt.type_string() }}) as kpi_name,
    cast(null as {{ dbt.type_string() }}) as dimension,
    cast(null as {{ dbt.type_string() }}) as dimension_value,
    cast(null as double) as value,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    cast(null as boolean) as is_complete,
    {{ ingested_through() }} as ingested_through
from rebuilt_days
{%- endif %}
