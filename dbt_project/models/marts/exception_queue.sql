-- The planner's work list (SPEC 5.1): one row per open exception, ranked by impact (value
-- at cost, then units, then age). Open means, at the data horizon (int_data_horizon):
--   stalled_case        a stalled case (stalled_cases)
--   oversell            an oversold order line, for exception_lookback_days after the cancellation
--   negative_stock      a sku-location whose book quantity is below zero on the horizon's day
--   unreconciled_event  a stock-moving event without erp_posted after 24 h
--   failed_reservation  a failed reservation whose line has no confirmed reservation and is
--                       neither fulfilled nor cancelled (still needs a source)

with horizon as (
    select horizon_at, horizon_date from {{ ref('int_data_horizon') }}
),

skus as (
    select sku, unit_cost from {{ ref('stg_skus') }}
),

stalled as (
    select
        'stalled_case' as exception_type,
        workflow,
        {{ dbt.concat(['workflow', "':'", 'case_key']) }} as reference_id,
        location_id,
        sku,
        last_event_at as opened_at,
        units,
        value_at_cost,
        {{ dbt.concat(["'stalled at '", 'stage']) }} as detail
    from {{ ref('stalled_cases') }}
),

oversells as (
    select
        'oversell' as exception_type,
        'order' as workflow,
        {{ dbt.concat(['lines.order_id', "'|'", 'lines.sku']) }} as reference_id,
        lines.oversell_location_id as location_id,
        lines.sku,
        lines.oversold_at as opened_at,
        lines.ordered_quantity as units,
        lines.ordered_quantity * skus.unit_cost as value_at_cost,
        'confirmed reservation cancelled out_of_stock' as detail
    from {{ ref('int_order_lines') }} as lines
    cross join horizon
    left join skus on lines.sku = skus.sku
    where lines.is_oversold
        and {{ seconds_between('lines.oversold_at', 'horizon.horizon_at') }} <= {{ var('exception_lookback_days') * 86400 }}
),

last_day_negatives as (
    select ledger.sku, ledger.location_id, ledger.closing_quantity
    from {{ ref('int_stock_ledger_daily') }} as ledger
    inner join horizon on ledger.ledger_date = horizon.horizon_date
    where ledger.closing_quantity < 0
),

negative_since as (
    select
        ledger.sku,
        ledger.location_id,
        coalesce(
            {{ add_days('max(case when ledger.closing_quantity >= 0 then ledger.ledger_date end)', 1) }},
            min(ledger.ledger_date)
        ) as negative_since_date
    from {{ ref('int_stock_ledger_daily') }} as ledger
    inner join last_day_negatives as negatives
        on ledger.sku = negatives.sku and ledger.location_id = negatives.location_id
    group by ledger.sku, ledger.location_id
),

negative_stock as (
    select
        'negative_stock' as exception_type,
        'stock' as workflow,
        {{ dbt.concat(['negatives.location_id', "'|'", 'negatives.sku']) }} as reference_id,
        negatives.location_id,
        negatives.sku,
        cast(since.negative_since_date as {{ dbt.type_timestamp() }}) as opened_at,
        -negatives.closing_quantity as units,
        -negatives.closing_quantity * skus.unit_cost as value_at_cost,
        {{ dbt.concat(["'book quantity '", 'cast(negatives.closing_quantity as ' ~ dbt.type_string() ~ ')']) }} as detail
    from last_day_negatives as negatives
    inner join negative_since as since
        on negatives.sku = since.sku and negatives.location_id = since.location_id
    left join skus on negatives.sku = skus.sku
),

unreconciled as (
    select
        'unreconciled_event' as exception_type,
        'finance' as workflow,
        movements.event_id as reference_id,
        movements.location_id,
        movements.sku,
        movements.occurred_at as opened_at,
        abs(movements.stock_delta) as units,
        abs(movements.stock_delta) * skus.unit_cost as value_at_cost,
        {{ dbt.concat(['movements.event_type', "' not posted to the ERP'"]) }} as detail
    from {{ ref('int_erp_reconciliation') }} as movements
    left join skus on movements.sku = skus.sku
    where movements.is_unreconciled
),

failed_reservations as (
    select
        'failed_reservation' as exception_type,
        'order' as workflow,
        {{ dbt.concat(['reservations.order_id', "'|'", 'reservations.sku', "'|'", 'reservations.location_id']) }} as reference_id,
        reservations.location_id,
        reservations.sku,
        reservations.first_failed_at as opened_at,
        coalesce(nullif(reservations.requested_quantity, 0), lines.ordered_quantity) as units,
        coalesce(nullif(reservations.requested_quantity, 0), lines.ordered_quantity) * skus.unit_cost as value_at_cost,
        'reservation failed, line not sourced' as detail
    from {{ ref('int_reservations') }} as reservations
    inner join {{ ref('int_order_lines') }} as lines
        on reservations.order_id = lines.order_id and reservations.sku = lines.sku
    left join skus on reservations.sku = skus.sku
    where reservations.outcome = 'failed'
        and lines.first_reservation_confirmed_at is null
        and lines.closed_at is null
),

exceptions as (
    select * from stalled
    union all select * from oversells
    union all select * from negative_stock
    union all select * from unreconciled
    union all select * from failed_reservations
)

select
    cast({{ dbt.concat(['exceptions.exception_type', "':'", 'exceptions.reference_id']) }} as {{ dbt.type_string() }}) as exception_id,
    cast(exceptions.exception_type as {{ dbt.type_string() }}) as exception_type,
    cast(exceptions.workflow as {{ dbt.type_string() }}) as workflow,
    cast(exceptions.reference_id as {{ dbt.type_string() }}) as reference_id,
    cast(exceptions.location_id as {{ dbt.type_string() }}) as location_id,
    cast(exceptions.sku as {{ dbt.type_string() }}) as sku,
    cast(exceptions.opened_at as {{ dbt.type_timestamp() }}) as opened_at,
    cast({{ seconds_between('exceptions.opened_at', 'horizon.horizon_at') }} / 3600.0 as double) as age_h,
    cast(exceptions.units as bigint) as units,
    cast(exceptions.value_at_cost as double) as value_at_cost,
    cast(exceptions.detail as {{ dbt.type_string() }}) as detail,
    cast(row_number() over (
        order by
            coalesce(exceptions.value_at_cost, 0) desc,
            coalesce(exceptions.units, 0) desc,
            exceptions.opened_at,
            exceptions.exception_type,
            exceptions.reference_id
    ) as bigint) as impact_rank,
    cast(horizon.horizon_at as {{ dbt.type_timestamp() }}) as as_of
from exceptions
cross join horizon
