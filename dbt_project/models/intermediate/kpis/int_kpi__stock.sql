-- stockout_rate, negative_stock_positions (end-of-day book quantity from the ledger) and
-- inventory_record_accuracy (cycle counts) (SPEC 5).

with positions as (
    select
        ledger_date as kpi_date,
        location_id,
        has_snapshot_baseline,
        case when has_snapshot_baseline and closing_quantity <= 0 then 1 else 0 end as stocked_out,
        case when has_snapshot_baseline then 1 else 0 end as snapshotted,
        case when closing_quantity < 0 then 1 else 0 end as negative
    from {{ ref('int_stock_ledger_daily') }}
),

-- stockout_rate is a share of the sku-locations whose book a stock_snapshot established
snapshotted_positions as (
    select * from positions where has_snapshot_baseline
),

counts as (
    select
        count_date as kpi_date,
        location_id,
        category,
        case when is_accurate then 1 else 0 end as accurate,
        1 as counted
    from {{ ref('int_cycle_counts') }}
)

{{ kpi_ratio('stockout_rate', 'snapshotted_positions', 'stocked_out', 'snapshotted', ['location_id']) }}
union all
{{ kpi_count('negative_stock_positions', 'positions', 'negative', ['location_id']) }}
union all
{{ kpi_ratio('inventory_record_accuracy', 'counts', 'accurate', 'counted', ['location_id', 'category']) }}
