-- Every delivered vintage of the energy-consumption rows, superseded ones included, typed and
-- in canonical units: what the revision warnings compare. The accounts read only the current
-- vintage (stg_stats__energy_consumption); a view, filtered on the deliveries it is asked for.
with source as (

    select * from {{ source('raw', 'stats__energy_consumption') }}

),

units as (

    select * from {{ ref('ref_units') }}

),

renamed as (

    select
        source._sha256 as delivery_sha256,
        source._is_superseded as is_superseded,
        source.period,
        source.report_type,
        source.division_code,
        source.industry_code,
        source.energy_name,
        source.use as energy_use,
        units.canonical_unit,
        cast(source.quantity as double) * units.to_canonical_multiplier as quantity_canonical
    from source
    left join units on units.unit = source.unit

)

select * from renamed
