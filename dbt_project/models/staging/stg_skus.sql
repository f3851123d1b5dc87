with source as (
    select * from {{ source('raw', 'skus') }}
),

renamed as (
    select
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(unit_cost as double) as unit_cost,
        cast(unit_price as double) as unit_price,
        cast(abc_class as {{ dbt.type_string() }}) as abc_class
    from source
)

select * from renamed
