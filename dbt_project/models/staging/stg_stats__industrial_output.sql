-- Industrial output rows of the current deliveries, typed, quantities in tonnes (ref_units).
with source as (

    select * from {{ source('raw', 'stats__industrial_output') }}
    where not _is_superseded

),

units as (

    select * from {{ ref('ref_units') }}

),

renamed as (

    select
        source.period,
        {{ period_year('source.period') }} as year,
        {{ period_month('source.period') }} as month,
        source.report_type,
        source.division_code,
        source.product_name,
        cast(source.quantity as double) as quantity_reported,
        source.unit as unit_reported,
        units.canonical_unit,
        units.to_canonical_multiplier,
        cast(source.quantity as double) * units.to_canonical_multiplier as quantity_t,
        source._sha256 as delivery_sha256,
        source._line_number as delivery_line_number
    from source
    left join units on units.unit = source.unit

)

select * from renamed
