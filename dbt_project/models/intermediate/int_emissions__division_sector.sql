-- Emissions of every division level (province, city, county) × key sector × year: the county
-- cells of int_emissions__county_sector, and their sums to the city and to the province. Every
-- level is summed from the same county cells in decimal arithmetic, so county, city and
-- province agree exactly.
with cells as (

    select * from {{ ref('int_emissions__county_sector') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

counties as (

    select
        county.division_code as county_code,
        county.parent_code as city_code,
        city.parent_code as province_code
    from divisions as county
    inner join divisions as city on city.division_code = county.parent_code
    where county.division_level = 'county'

),

by_level as (

    select cells.year, cells.report_type, cells.division_code, cells.sector_code,
        cells.energy_tco2, cells.process_tco2, cells.total_tco2,
        cells.electricity_mwh, cells.electricity_indirect_tco2,
        cells.heat_gj, cells.heat_indirect_tco2, cells.reporting_units,
        'county' as division_level
    from cells

    union all

    select cells.year, cells.report_type, counties.city_code as division_code, cells.sector_code,
        sum(cells.energy_tco2), sum(cells.process_tco2), sum(cells.total_tco2),
        sum(cells.electricity_mwh), sum(cells.electricity_indirect_tco2),
        sum(cells.heat_gj), sum(cells.heat_indirect_tco2), sum(cells.reporting_units),
        'city' as division_level
    from cells
    inner join counties on counties.county_code = cells.division_code
    group by cells.year, cells.report_type, counties.city_code, cells.sector_code

    union all

    select cells.year, cells.report_type, counties.province_code as division_code,
        cells.sector_code,
        sum(cells.energy_tco2), sum(cells.process_tco2), sum(cells.total_tco2),
        sum(cells.electricity_mwh), sum(cells.electricity_indirect_tco2),
        sum(cells.heat_gj), sum(cells.heat_indirect_tco2), sum(cells.reporting_units),
        'province' as division_level
    from cells
    inner join counties on counties.county_code = cells.division_code
    group by cells.year, cells.report_type, counties.province_code, cells.sector_code

)

select
    by_level.year,
    by_level.report_type,
    by_level.division_code,
    by_level.division_level,
    divisions.division_name_zh,
    divisions.parent_code,
    by_level.sector_code,
    by_level.energy_tco2::decimal(38, 6) as energy_tco2,
    by_level.process_tco2::decimal(38, 6) as process_tco2,
    by_level.total_tco2::decimal(38, 6) as total_tco2,
    by_level.electricity_mwh::decimal(38, 6) as electricity_mwh,
    by_level.electricity_indirect_tco2::decimal(38, 6) as electricity_indirect_tco2,
    by_level.heat_gj::decimal(38, 6) as heat_gj,
    by_level.heat_indirect_tco2::decimal(38, 6) as heat_indirect_tco2,
    by_level.reporting_units::bigint as reporting_units
from by_level
inner join divisions on divisions.division_code = by_level.division_code
