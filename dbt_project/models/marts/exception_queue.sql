-- The planner's work list (SPEC 5.1): one row per open exception, ranked by impact (value
-- at cost, then units, then age). Everything is judged at the data horizon
-- (int_data_horizon.horizon_at) from the events up to it, so no exception is opened after
-- it and no age is negative:
--   stalled_case        a stalled case (stalled_cases: stage SLA, or a late PO); an order
--                       line that is an open failed_reservation is listed once, as that
--   oversell            an oversold order line, for exception_lookback_days after the
--                       cancellation
--   negative_stock      a sku-location whose book quantity is below zero on the horizon's day
--   unreconciled_event  a stock move at least 24 h old and not posted by the horizon
--   failed_reservation  an order line with a reservation_failed and, by the horizon, no
--                       reservation_confirmed at any location, no fulfilment and no
--                       cancellation: it still needs a source
-- event_type names the event behind the exception (null for negative stock, a daily state).
-- A table, not incremental (issue 12): every row is judged at the horizon (age_h, as_of)
-- and impact_rank ranks the whole queue, so any change re-ranks every row; its inputs are
-- filtered to what is open at the horizon. Reference scenario: 2,410 exceptions built in
-- 0.2 s (of the pipeline's ~60 s dbt build).

with horizon as (
    select horizon_at, horizon_date from {{ ref('int_data_horizon') }}
),

skus as (
    select sku, unit_cost from {{ ref('stg_skus') }}
),

unsourced_lines as (
    select
        lines.order_id,
        lines.sku,
        lines.ordered_quantity,
        lines.first_reservation_failed_at
    from {{ ref('int_order_lines') }} as lines
    cross join horizon
    where lines.first_reservation_failed_at <= horizon.horizon_at
        and not coalesce(lines.first_reservation_confirmed_at <= horizon.horizon_at, false)
        and not coalesce(lines.first_fulfilled_at <= horizon.horizon_at, false)
        and not coalesce(lines.cancelled_at <= horizon.horizon_at, false)
),

-- where the line last failed: the location whose first failure is the latest by the horizon
last_failed_locations as (
    select order_id, sku, location_id, requested_quantity
    from (
        select
            reservations.order_id,
            reservations.sku,
            reservations.location_id,
            reservations.requested_quantity,
            row_number() over (
                partition by reservations.order_id, reservations.sku
                order by reservations.first_failed_at desc, reservations.location_id
            ) as recency
        from {{ ref('int_reservations') }} as reservations
        cross join horizon
        where reservations.first_failed_at <= horizon.horizon_at
    ) as ranked
    where recency = 1
),

stalled as (
    select
        'stalled_case' as exception_type,
        stalled_cases.workflow,
        {{ dbt.concat(['stalled_cases.workflow', "':'", 'stalled_cases.case_key']) }} as reference_id,
        stalled_cases.location_id,
        stalled_cases.sku,
        stalled_cases.stage as event_type,
        stalled_cases.last_event_at as opened_at,
        stalled_cases.units,
        stalled_cases.value_at_cost,
        case
            when stalled_cases.sla_rule = 'po_expected_at'
                then {{ dbt.concat(["'not received in full, expected '", 'cast(stalled_cases.expected_at as ' ~ dbt.type_string() ~ ')']) }}
            else {{ dbt.concat(["'stalled at '", 'stalled_cases.stage']) }}
        end as detail
    from {{ ref('stalled_cases') }} as stalled_cases
    left join unsourced_lines
        on stalled_cases.workflow = 'order'
        and stalled_cases.case_key = {{ dbt.concat(['unsourced_lines.order_id', "'|'", 'unsourced_lines.sku']) }}
    where unsourced_lines.order_id is null
),

oversells as (
    select
        'oversell' as exception_type,
        'order' as workflow,
        {{ dbt.concat(['lines.order_id', "'|'", 'lines.sku']) }} as reference_id,
        lines.oversell_location_id as location_id,
        lines.sku,
        'order_cancelled' as event_type,
        lines.oversold_at as opened_at,
        lines.ordered_quantity as units,
        lines.ordered_quantity * skus.unit_cost as value_at_cost,
        'confirmed reservation cancelled out_of_stock' as detail
    from {{ ref('int_order_lines') }} as lines
    cross join horizon
    left join skus on lines.sku = skus.sku
    where lines.is_oversold
        and lines.oversold_at <= horizon.horizon_at
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
        cast(null as {{ dbt.type_string() }}) as event_type,
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
        movements.event_type,
        movements.occurred_at as opened_at,
        abs(movements.stock_delta) as units,
        abs(movements.stock_delta) * skus.unit_cost as value_at_cost,
        {{ dbt.concat(['movements.event_type', "' not posted to the ERP'"]) }} as detail
    from {{ ref('int_erp_reconciliation') }} as movements
    left join skus on movements.sku = skus.sku
    where movements.is_unposted_at_horizon
),

failed_reservations as (
    select
        'failed_reservation' as exception_type,
        'order' as workflow,
        {{ dbt.concat(['lines.order_id', "'|'", 'lines.sku']) }} as reference_id,
        failed.location_id,
        lines.sku,
        'reservation_failed' as event_type,
        lines.first_reservation_failed_at as opened_at,
        coalesce(lines.ordered_quantity, nullif(failed.requested_quantity, 0)) as units,
        coalesce(lines.ordered_quantity, nullif(failed.requested_quantity, 0)) * skus.unit_cost as value_at_cost,
        'reservation failed, line not sourced' as detail
    from unsourced_lines as lines
    left join last_failed_locations as failed
        on lines.order_id = failed.order_id and lines.sku = failed.sku
    left join skus on lines.sku = skus.sku
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
    cast(exceptions.event_type as {{ dbt.type_string() }}) as event_type,
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
-- judged at the horizon: nothing opened after it (e.g. a stray negative-stock day) is listed
where exceptions.opened_at <= horizon.horizon_at
