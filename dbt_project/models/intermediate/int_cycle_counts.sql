-- Completed cycle counts: counted quantity against the system quantity the counter saw
-- (SPEC 5 inventory_record_accuracy), valued at cost.
-- Incremental: a count is one event, so a build adds the counts ingested since the last one
-- (macros/incremental.sql).

{{ config(**incremental_by_key(['event_id'])) }}

with counts as (
    select * from {{ ref('stg_inventory_events') }}
    where event_type = 'cycle_count_completed'
    {% if is_incremental() -%}
    and ingested_at > {{ built_through() }}
    {%- endif %}
),

skus as (
    select sku, category, unit_cost from {{ ref('stg_skus') }}
)

select
    counts.event_id,
    counts.case_id as count_id,
    counts.location_id,
    counts.sku,
    skus.category,
    counts.source_system,
    counts.occurred_at as counted_at,
    counts.occurred_date as count_date,
    counts.quantity as counted_quantity,
    counts.system_quantity,
    counts.quantity - counts.system_quantity as variance_quantity,
    -- the one definition of an accurate count (ml/ and the request table read it): a count
    -- whose system_quantity is null (not an integer) is not accurate, since SPEC 5 divides by
    -- all counts and nothing shows the record right
    coalesce(counts.quantity = counts.system_quantity, false) as is_accurate,
    skus.unit_cost,
    (counts.quantity - counts.system_quantity) * skus.unit_cost as variance_value_at_cost,
    {{ ingested_through() }} as ingested_through
from counts
left join skus
    on counts.sku = skus.sku
