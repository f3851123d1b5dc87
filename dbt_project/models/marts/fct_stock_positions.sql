-- Daily end-of-day book quantity per sku-location (the ledger), valued at cost, with the
-- signals planners and the risk model use: stockout, negative stock, days since last sale.
-- Incremental as the ledger it projects: a build takes the ledger rows rewritten since the
-- last one (the ledger's own ingested_through) and, like the ledger's pre-hook, drops the
-- days after the horizon's day if the horizon moved back.
-- depends_on: {{ ref('int_data_horizon') }}

{%- set config_args = incremental_by_key(['sku', 'location_id', 'position_date']) %}
{%- do config_args.update({'pre_hook': [
    "{% if is_incremental() %}delete from {{ this }} where position_date > (select horizon_date from {{ ref('int_data_horizon') }}){% endif %}"
]}) %}
{{ config(**config_args) }}

with ledger as (
    select * from {{ ref('int_stock_ledger_daily') }}
    {%- if is_incremental() %}
    where ingested_through > (select max(ingested_through) from {{ this }})
        or (select max(ingested_through) from {{ this }}) is null
    {%- endif %}
),

skus as (
    select sku, unit_cost from {{ ref('stg_skus') }}
)

select
    cast(ledger.sku as {{ dbt.type_string() }}) as sku,
    cast(ledger.location_id as {{ dbt.type_string() }}) as location_id,
    cast(ledger.ledger_date as date) as position_date,
    cast(ledger.opening_quantity as bigint) as opening_quantity,
    cast(ledger.receipt_quantity as bigint) as receipt_quantity,
    cast(ledger.sales_quantity as bigint) as sales_quantity,
    cast(ledger.transfer_out_quantity as bigint) as transfer_out_quantity,
    cast(ledger.adjustment_quantity as bigint) as adjustment_quantity,
    cast(ledger.net_change_quantity as bigint) as net_change_quantity,
    cast(ledger.snapshot_quantity as bigint) as snapshot_quantity,
    cast(ledger.closing_quantity as bigint) as closing_quantity,
    cast(ledger.has_snapshot_baseline as boolean) as has_snapshot_baseline,
    cast(ledger.has_snapshot_baseline and ledger.closing_quantity <= 0 as boolean) as is_stockout,
    cast(ledger.closing_quantity < 0 as boolean) as is_negative,
    cast(ledger.last_sale_date as date) as last_sale_date,
    cast({{ dbt.datediff('ledger.last_sale_date', 'ledger.ledger_date', 'day') }} as bigint) as days_since_last_sale,
    cast(ledger.last_snapshot_date as date) as last_snapshot_date,
    cast(skus.unit_cost as double) as unit_cost,
    cast(ledger.closing_quantity * skus.unit_cost as double) as closing_value_at_cost,
    ledger.ingested_through
from ledger
left join skus
    on ledger.sku = skus.sku
