-- Forest and grassland carbon sinks (林草碳汇) of every county and year, typed, from the current
-- deliveries of the forestry/carbon_sinks feed (YYYY.csv; a later delivery of a year supersedes
-- the earlier one, which stays in raw as a vintage). `sink_tco2` is the year's net removals, a
-- positive number: it is reported beside emissions and never subtracted from them.
with source as (

    select * from {{ source('raw', 'forestry__carbon_sinks') }}
    where not _is_superseded

),

renamed as (

    select
        cast(year as integer) as year,
        division_code,
        cast(forest_area_ha as double) as forest_area_ha,
        cast(forest_stock_m3 as double) as forest_stock_m3,
        cast(grassland_area_ha as double) as grassland_area_ha,
        cast(sink_tco2 as double) as sink_tco2,
        method,
        _sha256 as delivery_sha256
    from source

)

select * from renamed
