{#- kpi_daily and kpi_observations rebuild only the KPI days that can have changed since their
    last build (issue 12). The KPI logic stays in the int_kpi__* views and the intermediates;
    these macros only say which days to recompute, from what each KPI's day depends on.

    A KPI's day is the day of an event that starts what it measures (SPEC 5), so a day changes
    when (a) an event of that day arrives, (b) a case counted on that day gets a later event
    (its outcome, or an earlier first event that moves its day: the old day must be recomputed
    too), or (c) a rule judged at the data horizon flips as the horizon moves. The rows of a
    recomputed day replace the stored ones (delete+insert on kpi_date). A recomputed day that
    ends up with no rows must still lose its old ones, so the build writes one marker row per
    recomputed day (every column but kpi_date and the watermark null) and the post-hook
    deletes the markers again.

    Plain Parquet tables on Spark have no DELETE: there both models are tables, rebuilt whole
    (the same rows: incremental equals a full refresh). -#}

{% macro incremental_by_kpi_day(marker_column) -%}
    {{ return({
        'materialized': 'table' if target.type in ('spark', 'databricks') else 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'kpi_date',
        'on_schema_change': 'fail',
        'post_hook': [
            "{% if is_incremental() %}delete from {{ this }} where " ~ marker_column ~ " is null{% endif %}"
        ],
    }) }}
{%- endmacro %}


{#- The days to recompute, as a list of 'YYYY-MM-DD' strings: kpi_days_to_rebuild run before
    the model's statement. A constant list, not a subquery: DuckDB pushes `kpi_date in
    (<dates>)` through the views' group-bys into the scans of their inputs, where a semi-join
    with a subquery is applied only after every view is computed (on the reference scenario
    the latter saved nothing on a whole kpi_daily build of ~1 s). -#}

{% macro rebuilt_kpi_days(horizon_rules=true) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set days = run_query(kpi_days_to_rebuild(horizon_rules)) -%}
    {{ return(days.columns[0].values() | map('string') | list | sort) }}
{%- endmacro %}


{#- `column in (<days>)` for a list of rebuilt_kpi_days (false for an empty list). -#}
{% macro in_kpi_days(column, days) -%}
    {%- if days -%}
        {{ column }} in (
            {%- for day in days %}cast('{{ day }}' as date){{ ', ' if not loop.last }}{% endfor -%}
        )
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}


{#- A one-column relation kpi_date holding the days of a rebuilt_kpi_days list. -#}
{% macro kpi_days_relation(days) -%}
    {%- if days -%}
        select cast(kpi_date as date) as kpi_date
        from (values {% for day in days %}('{{ day }}'){{ ', ' if not loop.last }}{% endfor %}) as days (kpi_date)
    {%- else -%}
        select cast(null as date) as kpi_date where 1 = 0
    {%- endif -%}
{%- endmacro %}


{#- The days to recompute: a select of distinct kpi_date. Only in an incremental build (it
    reads {{ this }}, whose max(ingested_through) is the watermark of its last build).

    The day rules, each tied to the model that makes it true:
      - every day an event ingested since the last build occurred on (source_delivery_lag,
        api_failure_rate, inventory_record_accuracy, stock moves, po_received, ...);
      - every day of any event of an order, transfer, return or purchase order with such an
        event: its KPI day (int_reservations.reservation_date, int_orders.order_date, an
        oversell's day, int_transfers.shipment_date, int_returns.receipt_date, a po_received's
        day) is the day of one of its events, before and after the new event;
      - the day of each stock move a new erp_posted posts (int_erp_reconciliation);
      - every day of the whole-table rebuild below, and days whose stored is_complete differs
        from the current horizon's (kpi_day_is_complete);
    and with horizon_rules (kpi_daily; kpi_observations has no KPI judged at the horizon):
      - the ledger days int_stock_ledger_daily rewrote since (its own ingested_through);
      - per integration, the call days from the last successful call before its first new
        call to the first successful call after its last new call: the failure runs a new
        call can split, extend or recover (int_integration_disruptions) lie in between;
      - the days from the earlier of the stored and the current horizon's day, less the
        longest rule judged at the horizon, through the later one: an order line becomes
        open-overdue open_order_line_hours after placement (int_order_lines), a stock move
        is judged unreconciled_after_hours after it occurred (int_erp_reconciliation), the
        unposted backlog lives on the horizon's day (int_kpi__reconciliation).
    Everything is recomputed when the table is empty or, with horizon_rules, when the horizon
    moved back before the stored horizon's day. -#}

{% macro kpi_days_to_rebuild(horizon_rules=true) -%}
    {%- set events = ref('stg_inventory_events') -%}
    {%- set horizon_hours = [var('open_order_line_hours'), var('unreconciled_after_hours')] | max -%}
    {%- set horizon_days = ((horizon_hours / 24) | round(0, 'ceil') | int) -%}
    with stored as (
        select
            max(ingested_through) as built_through,
            -- the stored horizon's day: the last complete day (a day with no rows at all can
            -- only make it earlier, which widens the window below)
            max(case when is_complete then kpi_date end) as horizon_date
        from {{ this }}
    ),

    current_horizon as (
        select horizon_date, data_start_date from {{ ref('int_data_horizon') }}
    ),

    whole as (
        select
            stored.built_through is null
            {%- if horizon_rules %}
            or stored.horizon_date is null
            or current_horizon.horizon_date < stored.horizon_date
            {%- endif %} as is_whole
        from stored
        cross join current_horizon
    ),

    new_events as (
        select events.*
        from {{ events }} as events
        where events.ingested_at > (select built_through from stored)
    ),

    touched_cases as (
        select distinct workflow, case_id
        from new_events
        where workflow in ('order', 'transfer', 'return', 'replenishment')
            and case_id is not null
    ),

    days as (
        select occurred_date as kpi_date from new_events

        union

        select events.occurred_date as kpi_date
        from {{ events }} as events
        inner join touched_cases
            on events.workflow = touched_cases.workflow
            and events.case_id = touched_cases.case_id

        union

        select movements.occurred_date as kpi_date
        from {{ ref('int_erp_reconciliation') }} as movements
        inner join new_events as postings
            on postings.posted_event_id = movements.event_id
        where postings.event_type = 'erp_posted'

        union

        select stored_days.kpi_date
        from {{ this }} as stored_days
        cross join current_horizon
        where stored_days.is_complete <> {{ kpi_day_is_complete('stored_days.kpi_date', 'current_horizon') }}

        union

        select stored_days.kpi_date
        from {{ this }} as stored_days
        cross join whole
        where whole.is_whole

        union

        select events.occurred_date as kpi_date
        from {{ events }} as events
        cross join whole
        where whole.is_whole

        {%- if horizon_rules %}

        union

        select ledger.ledger_date as kpi_date
        from {{ ref('int_stock_ledger_daily') }} as ledger
        cross join whole
        where ledger.ingested_through > (select built_through from stored) or whole.is_whole

        union

        select calls.call_date as kpi_date
        from {{ ref('int_api_calls') }} as calls
        inner join (
            select
                new_calls.integration,
                (
                    select max(earlier.occurred_at) from {{ ref('int_api_calls') }} as earlier
                    where earlier.integration is not distinct from new_calls.integration
                        and not earlier.is_failed and earlier.occurred_at < new_calls.first_at
                ) as from_at,
                (
                    select min(later.occurred_at) from {{ ref('int_api_calls') }} as later
                    where later.integration is not distinct from new_calls.integration
                        and not later.is_failed and later.occurred_at > new_calls.last_at
                ) as through_at
            from (
                select integration, min(occurred_at) as first_at, max(occurred_at) as last_at
                from new_events
                where event_type = 'api_call'
                group by integration
            ) as new_calls
        ) as spans
            on calls.integration is not distinct from spans.integration
        where calls.occurred_at >= coalesce(spans.from_at, calls.occurred_at)
            and calls.occurred_at <= coalesce(spans.through_at, calls.occurred_at)

        union

        select calendar_date as kpi_date
        from (
            {{ date_series(
                add_days('(select least(stored.horizon_date, current_horizon.horizon_date) from stored cross join current_horizon)', -horizon_days),
                '(select greatest(stored.horizon_date, current_horizon.horizon_date) from stored cross join current_horizon)'
            ) }}
        ) as horizon_window

        union

        select horizon_date as kpi_date from current_horizon
        {%- endif %}
    )

    select distinct kpi_date from days where kpi_date is not null
{%- endmacro %}
