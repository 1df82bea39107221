-- Every delivered vintage of the regional GDP rows, superseded ones included, typed: what the
-- revision warnings compare. The accounts read only the current vintage (stg_stats__gdp).
with source as (

    select * from {{ source('raw', 'stats__gdp') }}

),

renamed as (

    select
        _sha256 as delivery_sha256,
        _is_superseded as is_superseded,
        period,
        report_type,
        division_code,
        cast(gdp_100m_yuan as double) as gdp_100m_yuan
    from source

)

select * from renamed
