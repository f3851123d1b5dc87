{#- Plain Parquet tables on Spark have neither MERGE nor DELETE: there the ledger is rebuilt
    whole on every run (the same rows: the incremental path equals a full refresh). -#}
{%- set rebuilt_whole = target.type == 'spark' and env_var('OMNISTOCK_SPARK_FILE_FORMAT', 'parquet') not in ('delta', 'iceberg', 'hudi') -%}
{{
    config(
        materialized=('table' if rebuilt_whole else 'incremental'),
        incremental_strategy=('merge' if target.type in ('spark', 'databricks') else 'delete+insert'),
        unique_key=['sku', 'location_id', 'ledger_date'],
        on_schema_change='fail',
        pre_hook=[
            "{% if is_incremental() %}delete from {{ this }} where ledger_date > (select horizon_date from {{ ref('int_data_horizon') }}){% endif %}"
        ],
    )
}}

{#- Daily book quantity per sku-location, dense from the position's first stock event to the
    data horizon's day. A stock_snapshot sets the book quantity (the day's last snapshot
    wins; movements at or before it are in it), stock-moving events add their signed delta.

    Bounded by the data horizon (int_data_horizon), so no stored date can blow the calendar
    up: no day after horizon_date gets a row (events dated later wait until the horizon
    reaches them), and no position starts before data_start_date (a stock event dated before
    the data's start is booked on its first day: its effect on the book is kept, its date is
    not trusted). If the horizon moves back, the pre-hook drops the days beyond it.

    Incremental: events ingested since the last build (ingested_through) may be late, so the
    ledger is rebuilt from the earliest ledger day among them (or from the day after the
    ledger's last day when only new days arrived), starting from the stored closing quantity
    of the day before. Days before that are untouched; the result equals a full refresh.

    Sparse first, dense last: a position's book changes only on its active days (a day with
    stock events, and the first rebuilt day of a position carried in). The running totals
    (snapshot groups, closing quantity, last sale and snapshot days) are computed over those
    days only, and each active day then fills the quiet days up to the next one, which carry
    its closing quantity with no movement. On `large` the active days are a sixth of the
    dense position-days the window functions used to sort. -#}

with horizon as (
    select horizon_date, data_start_date from {{ ref('int_data_horizon') }}
),

stock_events as (
    select
        events.sku,
        events.location_id,
        events.event_id,
        events.event_type,
        events.occurred_at,
        case
            when events.occurred_date < horizon.data_start_date then horizon.data_start_date
            else events.occurred_date
        end as ledger_date,
        events.quantity,
        events.stock_delta,
        events.ingested_at
    from {{ ref('stg_inventory_events') }} as events
    cross join horizon
    where events.event_type in {{ sql_list(['stock_snapshot'] + stock_moving_event_types()) }}
        and events.location_id is not null
        and events.sku is not null
),

bounds as (
    select
        (select horizon_date from horizon) as last_ledger_date,
        (select max(ingested_at) from {{ ref('stg_inventory_events') }}) as ingested_through,
        {% if is_incremental() -%}
        least(
            coalesce(
                (
                    select min(ledger_date) from stock_events
                    where ingested_at > (select max(ingested_through) from {{ this }})
                ),
                {{ add_days('(select max(ledger_date) from ' ~ this ~ ')', 1) }}
            ),
            {{ add_days('(select max(ledger_date) from ' ~ this ~ ')', 1) }}
        )
        {%- else -%}
        (select min(ledger_date) from stock_events)
        {%- endif %} as reprocess_from
),

reprocessed_events as (
    select
        stock_events.*,
        max(case when event_type = 'stock_snapshot' then occurred_at end)
            over (partition by sku, location_id, ledger_date) as last_snapshot_at
    from stock_events
    cross join bounds
    where stock_events.ledger_date >= bounds.reprocess_from
        and stock_events.ledger_date <= bounds.last_ledger_date
),

daily_snapshots as (
    select sku, location_id, ledger_date, snapshot_quantity
    from (
        select
            sku,
            location_id,
            ledger_date,
            quantity as snapshot_quantity,
            row_number() over (
                partition by sku, location_id, ledger_date
                order by occurred_at desc, event_id desc
            ) as recency
        from reprocessed_events
        where event_type = 'stock_snapshot'
    ) as ranked
    where recency = 1
),

daily_movements as (
    select
        sku,
        location_id,
        ledger_date,
        sum(case when event_type in ('transfer_received', 'po_received', 'return_restocked') then quantity else 0 end) as receipt_quantity,
        sum(case when event_type in ('sale', 'order_fulfilled') then quantity else 0 end) as sales_quantity,
        sum(case when event_type = 'transfer_shipped' then quantity else 0 end) as transfer_out_quantity,
        sum(case when event_type = 'inventory_adjusted' then quantity else 0 end) as adjustment_quantity,
        sum(stock_delta) as net_change_quantity,
        sum(case when last_snapshot_at is null or occurred_at > last_snapshot_at then stock_delta else 0 end) as change_after_snapshot
    from reprocessed_events
    group by sku, location_id, ledger_date
),

-- positions already in the ledger carry their closing quantity into the reprocessed days
carried_positions as (
    {% if is_incremental() -%}
    select
        ledger.sku,
        ledger.location_id,
        ledger.closing_quantity as carried_quantity,
        ledger.has_snapshot_baseline as carried_baseline,
        ledger.last_sale_date as carried_last_sale_date,
        ledger.last_snapshot_date as carried_last_snapshot_date
    from {{ this }} as ledger
    cross join bounds
    where ledger.ledger_date = {{ add_days('bounds.reprocess_from', -1) }}
    {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as sku,
        cast(null as {{ dbt.type_string() }}) as location_id,
        cast(null as bigint) as carried_quantity,
        cast(null as boolean) as carried_baseline,
        cast(null as date) as carried_last_sale_date,
        cast(null as date) as carried_last_snapshot_date
    where 1 = 0
    {%- endif %}
),

-- the days a position's book can change: its days with stock events, and the first rebuilt
-- day of a position carried in from the stored ledger
active_days as (
    select sku, location_id, ledger_date from daily_movements
    union
    select carried.sku, carried.location_id, bounds.reprocess_from as ledger_date
    from carried_positions as carried
    cross join bounds
    where bounds.reprocess_from <= bounds.last_ledger_date
),

days as (
    select
        active_days.sku,
        active_days.location_id,
        active_days.ledger_date,
        coalesce(movements.receipt_quantity, 0) as receipt_quantity,
        coalesce(movements.sales_quantity, 0) as sales_quantity,
        coalesce(movements.transfer_out_quantity, 0) as transfer_out_quantity,
        coalesce(movements.adjustment_quantity, 0) as adjustment_quantity,
        coalesce(movements.net_change_quantity, 0) as net_change_quantity,
        coalesce(movements.change_after_snapshot, 0) as change_after_snapshot,
        snapshots.snapshot_quantity,
        carried.carried_quantity,
        coalesce(carried.carried_baseline, false) as carried_baseline,
        carried.carried_last_sale_date,
        carried.carried_last_snapshot_date
    from active_days
    left join daily_movements as movements
        on active_days.sku = movements.sku
        and active_days.location_id = movements.location_id
        and active_days.ledger_date = movements.ledger_date
    left join daily_snapshots as snapshots
        on active_days.sku = snapshots.sku
        and active_days.location_id = snapshots.location_id
        and active_days.ledger_date = snapshots.ledger_date
    left join carried_positions as carried
        on active_days.sku = carried.sku
        and active_days.location_id = carried.location_id
),

-- each snapshot day starts a new running total; days before the first snapshot in the
-- window (group 0) run on from the carried quantity
snapshot_groups as (
    select
        days.*,
        count(snapshot_quantity) over (
            partition by sku, location_id order by ledger_date
            rows between unbounded preceding and current row
        ) as snapshot_group
    from days
),

closing as (
    select
        snapshot_groups.*,
        sum(
            case
                when snapshot_quantity is not null then snapshot_quantity + change_after_snapshot
                else net_change_quantity
            end
        ) over (
            partition by sku, location_id, snapshot_group order by ledger_date
            rows between unbounded preceding and current row
        ) + case when snapshot_group = 0 then coalesce(carried_quantity, 0) else 0 end as closing_quantity,
        max(case when sales_quantity > 0 then ledger_date end) over (
            partition by sku, location_id order by ledger_date
            rows between unbounded preceding and current row
        ) as last_sale_in_window,
        max(case when snapshot_quantity is not null then ledger_date end) over (
            partition by sku, location_id order by ledger_date
            rows between unbounded preceding and current row
        ) as last_snapshot_in_window
    from snapshot_groups
),

-- an active day holds until the position's next one (or through the last ledger day)
spans as (
    select
        closing.*,
        lag(closing_quantity) over (
            partition by sku, location_id order by ledger_date
        ) as previous_closing_quantity,
        coalesce(
            lead(ledger_date) over (partition by sku, location_id order by ledger_date),
            {{ add_days('bounds.last_ledger_date', 1) }}
        ) as next_active_date
    from closing
    cross join bounds
),

calendar as (
    {{ date_series('(select reprocess_from from bounds)', '(select last_ledger_date from bounds)') }}
),

position_days as (
    select
        spans.*,
        calendar.calendar_date,
        calendar.calendar_date = spans.ledger_date as is_active_day
    from spans
    inner join calendar
        on calendar.calendar_date >= spans.ledger_date
        and calendar.calendar_date < spans.next_active_date
)

select
    sku,
    location_id,
    calendar_date as ledger_date,
    cast(
        case
            when is_active_day then coalesce(previous_closing_quantity, carried_quantity, 0)
            else closing_quantity
        end as bigint
    ) as opening_quantity,
    cast(case when is_active_day then receipt_quantity else 0 end as bigint) as receipt_quantity,
    cast(case when is_active_day then sales_quantity else 0 end as bigint) as sales_quantity,
    cast(case when is_active_day then transfer_out_quantity else 0 end as bigint) as transfer_out_quantity,
    cast(case when is_active_day then adjustment_quantity else 0 end as bigint) as adjustment_quantity,
    cast(case when is_active_day then net_change_quantity else 0 end as bigint) as net_change_quantity,
    cast(case when is_active_day then snapshot_quantity end as bigint) as snapshot_quantity,
    cast(closing_quantity as bigint) as closing_quantity,
    (carried_baseline or snapshot_group > 0) as has_snapshot_baseline,
    coalesce(last_sale_in_window, carried_last_sale_date) as last_sale_date,
    coalesce(last_snapshot_in_window, carried_last_snapshot_date) as last_snapshot_date,
    (select ingested_through from bounds) as ingested_through
from position_days
