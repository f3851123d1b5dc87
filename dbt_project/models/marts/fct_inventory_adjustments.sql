-- Book adjustments (shrink, damage, found, correction) valued at cost; the shrink and
-- correction signals of location risk.

with adjustments as (
    select * from {{ ref('stg_inventory_events') }}
    where event_type = 'inventory_adjusted'
),

skus as (
    select sku, category, unit_cost from {{ ref('stg_skus') }}
)

select
    cast(adjustments.event_id as {{ dbt.type_string() }}) as event_id,
    cast(adjustments.case_id as {{ dbt.type_string() }}) as adjustment_id,
    cast(adjustments.location_id as {{ dbt.type_string() }}) as location_id,
    cast(adjustments.sku as {{ dbt.type_string() }}) as sku,
    cast(skus.category as {{ dbt.type_string() }}) as category,
    cast(adjustments.source_system as {{ dbt.type_string() }}) as source_system,
    cast(adjustments.reason_code as {{ dbt.type_string() }}) as reason_code,
    cast(adjustments.occurred_at as {{ dbt.type_timestamp() }}) as adjusted_at,
    cast(adjustments.occurred_date as date) as adjustment_date,
    cast(adjustments.quantity as bigint) as quantity,
    cast(skus.unit_cost as double) as unit_cost,
    cast(adjustments.quantity * skus.unit_cost as double) as value_at_cost
from adjustments
left join skus
    on adjustments.sku = skus.sku
