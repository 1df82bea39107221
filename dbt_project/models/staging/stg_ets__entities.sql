-- Carbon-market entities as last delivered: the latest record of each entity_id (a later
-- delivery updates an entity; entities are never deleted).
with source as (

    select * from {{ source('raw', 'ets__entities') }}
    where not _is_superseded

),

latest as (

    select *
    from source
    qualify row_number() over (
        partition by entity_id order by _file_period desc, _line_number desc
    ) = 1

),

renamed as (

    select
        entity_id,
        entity_name,
        division_code,
        industry_code,
        ets_sector,
        cast(first_year as integer) as first_year,
        cast(_file_period as date) as delivered_on,
        _sha256 as delivery_sha256
    from latest

)

select * from renamed
