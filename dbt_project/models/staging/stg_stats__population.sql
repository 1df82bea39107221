-- Resident population rows of the current deliveries, typed: one row per year and division.
with source as (

    select * from {{ source('raw', 'stats__population') }}
    where not _is_superseded

),

renamed as (

    select
        cast(year as integer) as year,
        division_code,
        cast(resident_population_10k as double) as resident_population_10k,
        _sha256 as delivery_sha256,
        _line_number as delivery_line_number
    from source

)

select * from renamed
