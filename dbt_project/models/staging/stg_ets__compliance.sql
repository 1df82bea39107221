-- Verified emissions and allowances per entity and compliance year, current deliveries, typed.
with source as (

    select * from {{ source('raw', 'ets__compliance') }}
    where not _is_superseded

),

renamed as (

    select
        cast(compliance_year as integer) as compliance_year,
        entity_id,
        cast(verified_emissions_tco2 as double) as verified_emissions_tco2,
        cast(allocated_allowances_tco2 as double) as allocated_allowances_tco2,
        cast(surrendered_allowances_tco2 as double) as surrendered_allowances_tco2,
        coalesce(try_cast(nullif(trim(ccer_offset_tco2), '') as double), 0) as ccer_offset_tco2,
        cast(output_quantity as double) as output_quantity,
        output_unit,
        cast(verification_date as date) as verification_date,
        _sha256 as delivery_sha256,
        _line_number as delivery_line_number
    from source

)

select * from renamed
