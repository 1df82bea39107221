-- Regional GDP rows of the current deliveries, typed: one row per year, report type and division.
with source as (

    select * from {{ source('raw', 'stats__gdp') }}
    where not _is_superseded

),

renamed as (

    select
        cast(period as integer) as year,
        report_type,
        division_code,
        cast(gdp_100m_yuan as double) as gdp_100m_yuan,
        cast(real_growth_pct as double) as real_growth_pct,
        try_cast(nullif(trim(secondary_industry_100m_yuan), '') as double)
            as secondary_industry_100m_yuan,
        _sha256 as delivery_sha256,
        _line_number as delivery_line_number
    from source

)

select * from renamed
