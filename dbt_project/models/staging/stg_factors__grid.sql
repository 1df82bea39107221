-- Grid emission factors of the current deliveries of the factors/grid feed, typed. When a
-- year, region and type was delivered more than once, the latest delivery wins.
with source as (

    select * from {{ source('raw', 'factors__grid') }}
    where not _is_superseded

),

latest as (

    select *
    from source
    qualify row_number() over (
        partition by year, region, factor_type
        order by _file_period desc, published_on desc, _line_number desc
    ) = 1

),

renamed as (

    select
        cast(year as integer) as year,
        region,
        factor_type,
        cast(value_tco2_per_mwh as double) as value_tco2_per_mwh,
        source,
        cast(published_on as date) as published_on,
        _sha256 as delivery_sha256
    from latest

)

select * from renamed
