-- Daily generation of the grid-dispatched plants, current deliveries, typed.
with source as (

    select * from {{ source('raw', 'power__generation_daily') }}
    where not _is_superseded

),

renamed as (

    select
        cast(date as date) as generation_date,
        cast(left(date, 4) as integer) as year,
        plant_id,
        plant_name,
        division_code,
        fuel_type,
        cast(capacity_mw as double) as capacity_mw,
        cast(generation_mwh as double) as generation_mwh,
        try_cast(nullif(trim(coal_consumption_tce), '') as double) as coal_consumption_tce,
        cast(exported_mwh as double) as exported_mwh
    from source

)

select * from renamed
