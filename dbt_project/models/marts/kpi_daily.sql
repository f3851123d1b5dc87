-- Every KPI of SPEC 5 in one long table: per day, overall (dimension = 'all') and per named
-- dimension. Each KPI's logic lives in an intermediate int_kpi__<area> model. A day after the
-- data horizon's day is incomplete (is_complete = false): some regular feed has not delivered
-- it yet, so its KPIs are partial and must not be shown as a finished day. So is a day before
-- the data's start (only stray records carry such dates).

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

select
    cast(kpi_date as date) as kpi_date,
    cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(dimension as {{ dbt.type_string() }}) as dimension,
    cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
    cast(value as double) as value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    {{ kpi_day_is_complete('kpis.kpi_date', 'horizon') }} as is_complete
from kpis
cross join horizon
where kpis.kpi_date is not null
