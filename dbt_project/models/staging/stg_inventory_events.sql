{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

{#- Incremental on ingestion time: a build reads only raw rows ingested since the last one
    (>= so a batch that shares the last timestamp is not missed) and appends the event_ids
    not stored yet. The first arrival of an event_id wins, in both paths, so a late re-landed
    copy never replaces or double counts it; late *business* events (an old occurred_at)
    arrive here like any other and downstream models reprocess from their day. -#}

with source as (
    select * from {{ source('raw', 'inventory_events') }}
    {% if is_incremental() %}
    where ingested_at >= (select max(ingested_at) from {{ this }})
    {% endif %}
),

renamed as (
    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(schema_version as {{ dbt.type_string() }}) as schema_version,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        {{ workflow_of('event_type') }} as workflow,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(emitted_at as {{ dbt.type_timestamp() }}) as emitted_at,
        cast(occurred_at as date) as occurred_date,
        cast(case_id as {{ dbt.type_string() }}) as case_id,
        cast(location_id as {{ dbt.type_string() }}) as location_id,
        cast(to_location_id as {{ dbt.type_string() }}) as to_location_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(quantity as bigint) as quantity,
        {{ stock_delta('event_type', 'cast(quantity as bigint)') }} as stock_delta,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(reason_code as {{ dbt.type_string() }}) as reason_code,
        -- the attribute keys SPEC 4.1 gives meaning to, typed; the rest stays in attributes
        {{ parse_utc_timestamp(json_text('attributes', 'expected_at')) }} as expected_at,
        {{ dbt.safe_cast(json_text('attributes', 'system_quantity'), 'bigint') }} as system_quantity,
        {{ json_text('attributes', 'posted_event_id') }} as posted_event_id,
        {{ json_text('attributes', 'integration') }} as integration,
        {{ dbt.safe_cast(json_text('attributes', 'status_code'), 'integer') }} as status_code,
        {{ dbt.safe_cast(json_text('attributes', 'latency_ms'), 'double') }} as latency_ms,
        {{ dbt.safe_cast(json_text('attributes', 'attempt'), 'integer') }} as attempt,
        {{ json_text('attributes', 'supplier_id') }} as supplier_id,
        cast(coalesce(attributes, '{}') as {{ dbt.type_string() }}) as attributes,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_line as bigint) as source_line,
        cast(ingested_at as {{ dbt.type_timestamp() }}) as ingested_at
    from source
),

first_arrivals as (
    select *
    from (
        select
            renamed.*,
            row_number() over (
                partition by event_id
                order by ingested_at, source_file, source_line
            ) as arrival_rank
        from renamed
    ) as ranked
    where arrival_rank = 1
)

select
    event_id,
    schema_version,
    event_type,
    workflow,
    source_system,
    occurred_at,
    emitted_at,
    occurred_date,
    case_id,
    location_id,
    to_location_id,
    sku,
    quantity,
    stock_delta,
    channel,
    reason_code,
    expected_at,
    system_quantity,
    posted_event_id,
    integration,
    status_code,
    latency_ms,
    attempt,
    supplier_id,
    attributes,
    source_file,
    source_line,
    ingested_at
from first_arrivals
{% if is_incremental() %}
where not exists (
    select 1 from {{ this }} as stored where stored.event_id = first_arrivals.event_id
)
{% endif %}
