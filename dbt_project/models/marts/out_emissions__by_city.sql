-- Energy CO2 by city and year: the counties' combustion emissions summed to their city.
with emissions as (

    select * from {{ ref('int_emissions__county_industry_fuel') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

by_city as (

    select
        emissions.year,
        emissions.report_type,
        county.parent_code as division_code,
        sum(emissions.energy_tco2) as energy_tco2
    from emissions
    inner join divisions as county on county.division_code = emissions.division_code
    group by all

)

select
    by_city.year,
    by_city.report_type,
    by_city.division_code,
    city.division_name_zh,
    by_city.energy_tco2
from by_city
inner join divisions as city on city.division_code = by_city.division_code
order by by_city.year, by_city.division_code
