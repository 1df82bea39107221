-- Energy consumption rows of the current (not superseded) deliveries, typed, units normalised.
with source as (

    select * from {{ source('raw', 'stats__energy_consumption') }}
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
        source.industry_code,
        source.energy_name,
        source.use as energy_use,
        cast(source.quantity as double) as quantity_reported,
        source.unit as unit_reported,
        units.canonical_unit,
        units.to_canonical_multiplier,
        cast(source.quantity as double) * units.to_canonical_multiplier as quantity_canonical,
        try_cast(nullif(trim(source.reporting_units), '') as integer) as reporting_units,
        source._sha256 as delivery_sha256,
        source._line_number as delivery_line_number
    from source
    left join units on units.unit = source.unit

)

select * from renamed
