-- Order-line lifecycle (case_id + sku): placement, reservations, fulfilment, cancellation,
-- and the line-level order exceptions of SPEC 5. Times are occurred_at, so events that
-- arrive out of order still land in business order.
-- Incremental: a build recomputes the orders with an event ingested since the last one, and
-- the orders with a line whose is_open_overdue the horizon's move flips (the stored flag
-- against the rule at the new horizon: forwards a line reaches its deadline, backwards it
-- leaves it again); the others are kept (macros/incremental.sql).

{{ config(**incremental_by_key(['order_id'])) }}

with horizon as (
    select horizon_at from {{ ref('int_data_horizon') }}
),

{% if is_incremental() -%}
affected_orders as (
    select case_id as order_id from ({{ touched_cases(['order']) }}) as touched
    union
    select stored.order_id
    from {{ this }} as stored
    cross join horizon
    where stored.is_open_overdue
        <> {{ order_line_is_open_overdue('stored.placed_at', 'stored.closed_at', 'horizon.horizon_at') }}
),
{%- endif %}

order_events as (
    select * from {{ ref('stg_inventory_events') }}
    where workflow = 'order'
    {% if is_incremental() -%}
    and case_id in (select order_id from affected_orders)
    {%- endif %}
),

ranked_placements as (
    select
        case_id as order_id,
        sku,
        occurred_at as placed_at,
        channel,
        sum(quantity) over (partition by case_id, sku) as ordered_quantity,
        row_number() over (partition by case_id, sku order by occurred_at, event_id) as line_rank,
        row_number() over (partition by case_id order by occurred_at, event_id) as order_rank
    from order_events
    where event_type = 'order_placed'
),

line_placements as (
    select order_id, sku, placed_at, channel, ordered_quantity
    from ranked_placements
    where line_rank = 1
),

-- the channel belongs to the order: lines without their own order_placed inherit it
order_channels as (
    select order_id, channel as order_channel
    from ranked_placements
    where order_rank = 1
),

line_activity as (
    select
        case_id as order_id,
        sku,
        min(case when event_type = 'reservation_requested' then occurred_at end) as first_reservation_requested_at,
        min(case when event_type = 'reservation_confirmed' then occurred_at end) as first_reservation_confirmed_at,
        sum(case when event_type = 'reservation_requested' then 1 else 0 end) as reservation_requests,
        sum(case when event_type = 'reservation_failed' then 1 else 0 end) as reservation_failures,
        min(case when event_type = 'reservation_failed' then occurred_at end) as first_reservation_failed_at,
        min(case when event_type = 'order_fulfilled' then occurred_at end) as first_fulfilled_at,
        max(case when event_type = 'order_fulfilled' then occurred_at end) as last_fulfilled_at,
        sum(case when event_type = 'order_fulfilled' then quantity else 0 end) as fulfilled_quantity,
        count(distinct case when event_type = 'order_fulfilled' then location_id end) as fulfilment_locations,
        min(case when event_type = 'order_cancelled' then occurred_at end) as cancelled_at,
        max(case when event_type = 'order_cancelled' and reason_code = 'out_of_stock' then occurred_at end) as last_out_of_stock_cancelled_at,
        max(occurred_at) as last_event_at
    from order_events
    group by case_id, sku
),

first_cancellations as (
    select order_id, sku, cancel_reason
    from (
        select
            case_id as order_id,
            sku,
            reason_code as cancel_reason,
            row_number() over (partition by case_id, sku order by occurred_at, event_id) as cancel_rank
        from order_events
        where event_type = 'order_cancelled'
    ) as ranked
    where cancel_rank = 1
),

first_fulfilments as (
    select order_id, sku, fulfilment_location_id
    from (
        select
            case_id as order_id,
            sku,
            location_id as fulfilment_location_id,
            row_number() over (partition by case_id, sku order by occurred_at, event_id) as fulfilment_rank
        from order_events
        where event_type = 'order_fulfilled'
    ) as ranked
    where fulfilment_rank = 1
),

-- oversell (SPEC 5): a confirmed reservation followed by an out_of_stock cancellation; the
-- oversold location is the last confirmation before that cancellation
oversells as (
    select order_id, sku, oversell_location_id, oversold_at
    from (
        select
            confirmations.case_id as order_id,
            confirmations.sku,
            confirmations.location_id as oversell_location_id,
            activity.last_out_of_stock_cancelled_at as oversold_at,
            row_number() over (
                partition by confirmations.case_id, confirmations.sku
                order by confirmations.occurred_at desc, confirmations.event_id desc
            ) as recency
        from order_events as confirmations
        inner join line_activity as activity
            on confirmations.case_id = activity.order_id
            and confirmations.sku = activity.sku
        where confirmations.event_type = 'reservation_confirmed'
            and confirmations.occurred_at < activity.last_out_of_stock_cancelled_at
    ) as ranked
    where recency = 1
),

lines as (
    select
        activity.order_id,
        activity.sku,
        coalesce(placements.channel, channels.order_channel) as channel,
        placements.placed_at,
        cast(placements.placed_at as date) as order_date,
        placements.ordered_quantity,
        activity.first_reservation_requested_at,
        activity.first_reservation_confirmed_at,
        activity.reservation_requests,
        activity.reservation_failures,
        activity.first_reservation_failed_at,
        activity.first_fulfilled_at,
        activity.last_fulfilled_at,
        activity.fulfilled_quantity,
        activity.fulfilment_locations,
        fulfilments.fulfilment_location_id,
        activity.cancelled_at,
        cancellations.cancel_reason,
        oversells.oversell_location_id,
        oversells.oversold_at,
        -- the first terminal event, whichever of fulfilment and cancellation came first
        coalesce(
            least(activity.first_fulfilled_at, activity.cancelled_at),
            activity.first_fulfilled_at,
            activity.cancelled_at
        ) as closed_at,
        activity.last_event_at,
        activity.last_out_of_stock_cancelled_at,
        horizon.horizon_at
    from line_activity as activity
    cross join horizon
    left join line_placements as placements
        on activity.order_id = placements.order_id and activity.sku = placements.sku
    left join order_channels as channels
        on activity.order_id = channels.order_id
    left join first_cancellations as cancellations
        on activity.order_id = cancellations.order_id and activity.sku = cancellations.sku
    left join first_fulfilments as fulfilments
        on activity.order_id = fulfilments.order_id and activity.sku = fulfilments.sku
    left join oversells
        on activity.order_id = oversells.order_id and activity.sku = oversells.sku
),

exceptions as (
    select
        lines.*,
        reservation_failures > 0 as has_reservation_failure,
        last_out_of_stock_cancelled_at is not null as is_cancelled_out_of_stock,
        oversell_location_id is not null as is_oversold,
        coalesce(
            {{ seconds_between('placed_at', 'last_fulfilled_at') }} > {{ hours_var_seconds('late_fulfilment_hours') }},
            false
        ) as is_fulfilled_late,
        -- "neither fulfilled nor cancelled 72 h after order_placed" (macros/business_rules.sql)
        {{ order_line_is_open_overdue('placed_at', 'closed_at', 'horizon_at') }} as is_open_overdue
    from lines
)

select
    order_id,
    sku,
    channel,
    placed_at,
    order_date,
    ordered_quantity,
    first_reservation_requested_at,
    first_reservation_confirmed_at,
    reservation_requests,
    reservation_failures,
    first_reservation_failed_at,
    first_fulfilled_at,
    last_fulfilled_at,
    fulfilled_quantity,
    fulfilment_locations,
    fulfilment_location_id,
    cancelled_at,
    cancel_reason,
    closed_at,
    last_event_at,
    case
        when first_fulfilled_at is not null and fulfilled_quantity >= ordered_quantity then 'fulfilled'
        when first_fulfilled_at is not null then 'partially_fulfilled'
        when cancelled_at is not null then 'cancelled'
        when first_reservation_confirmed_at is not null then 'reserved'
        when placed_at is not null then 'placed'
        else 'unplaced'
    end as line_status,
    oversell_location_id,
    oversold_at,
    has_reservation_failure,
    is_cancelled_out_of_stock,
    is_oversold,
    is_fulfilled_late,
    is_open_overdue,
    (has_reservation_failure or is_cancelled_out_of_stock or is_oversold
        or is_fulfilled_late or is_open_overdue) as has_line_exception,
    {{ ingested_through() }} as ingested_through
from exceptions
