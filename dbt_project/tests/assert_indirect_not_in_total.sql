-- Indirect emissions are reported beside the territorial total and never added to it: in every
-- row of every emission table, total_tco2 is exactly energy_tco2 + process_tco2, and the
-- province's total is the combustion and process CO2 of the fine-grained models, with no
-- electricity or heat term. Returns the offending rows (none expected).
-- Shown in Dagster as an asset check of out_emissions__by_sector.
{{ config(meta={'dagster': {'ref': {'name': 'out_emissions__by_sector'}}}) }}
with rows_checked as (

    select 'emissions_by_sector' as table_name, year, sector_code as cell,
        energy_tco2, process_tco2, total_tco2, electricity_indirect_tco2
    from {{ ref('out_emissions__by_sector') }}
    union all
    select 'emissions_by_city', year, division_code,
        energy_tco2, process_tco2, total_tco2, electricity_indirect_tco2
    from {{ ref('out_emissions__by_city') }}
    union all
    select 'emissions_by_county', year, division_code,
        energy_tco2, process_tco2, total_tco2, electricity_indirect_tco2
    from {{ ref('out_emissions__by_county') }}
    union all
    select 'emissions_by_division_sector', year, division_code || '/' || sector_code,
        energy_tco2, process_tco2, total_tco2, null
    from {{ ref('out_emissions__by_division_sector') }}

),

fine_grained as (

    select year, sum(energy_tco2) as energy_tco2, 0 as process_tco2
    from {{ ref('int_emissions__county_industry_fuel') }}
    group by year
    union all
    select year, 0, sum(process_tco2)
    from {{ ref('int_process__county_product') }}
    group by year

),

fine_totals as (

    select year, sum(energy_tco2) + sum(process_tco2) as total_tco2
    from fine_grained
    group by year

),

province as (

    select year, sum(total_tco2) as total_tco2
    from {{ ref('out_emissions__by_sector') }}
    group by year

)

select table_name, year, cell, energy_tco2, process_tco2, total_tco2, null as fine_total_tco2
from rows_checked
where total_tco2 <> energy_tco2 + process_tco2

union all

select 'fine-grained models', province.year, 'province', null, null, province.total_tco2,
    fine_totals.total_tco2
from province
left join fine_totals on fine_totals.year = province.year
where province.total_tco2 is distinct from fine_totals.total_tco2
