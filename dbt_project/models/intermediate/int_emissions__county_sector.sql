-- Every county × key sector × year (dense: a cell with no activity is 0), the cell of every
-- published emission table:
-- * energy_tco2: fuel combustion per county × industry (int_energy__county_industry, the sum of
--   int_emissions__county_industry_fuel), industry → sector;
-- * process_tco2: industrial processes (int_process__county_product);
-- * total_tco2 = energy_tco2 + process_tco2, the territorial total;
-- * electricity_indirect_tco2 = end-use electricity (MWh) × the year's grid factor
--   (int_factors__grid_by_year); heat_indirect_tco2 = end-use heat (GJ) × the heat factor
--   (the default row of ref_heat_factors). Indirect emissions are reported beside the total
--   and never added to it: the fuel behind them is already in some division's energy_tco2 or
--   outside the province;
-- * reporting_units: enterprises behind the cell, the county × industry counts
--   (int_energy__county_industry) summed over the sector's industries; null where the cell's
--   only rows are households.
-- report_type is 'annual' where the year's annual final exists, else 'quick'. Amounts
-- (tCO2, MWh, GJ) are decimal(38,6), so any sum of cells is exact; an indirect cell is its
-- rounded MWh (GJ) × factor.
with amounts as (

    select * from {{ ref('int_energy__county_industry') }}

),

counties as (

    select division_code from {{ ref('ref_divisions') }} where division_level = 'county'

),

sectors as (

    select sector_code from {{ ref('ref_sectors') }}

),

industry_sectors as (

    select industry_code, sector_code from {{ ref('ref_industry_sectors') }}

),

grid as (

    select year, value_tco2_per_mwh from {{ ref('int_factors__grid_by_year') }}

),

heat_factor as (

    select value_tco2_per_gj
    from {{ ref('ref_heat_factors') }}
    where is_default

),

process as (

    select year, division_code, sector_code, sum(process_tco2) as process_tco2
    from {{ ref('int_process__county_product') }}
    group by all

),

years as (

    select year, bool_or(report_type = 'annual') as has_annual_final
    from amounts
    group by year

),

by_sector as (

    select amounts.year, amounts.division_code, industry_sectors.sector_code,
        sum(amounts.energy_tco2) as energy_tco2,
        sum(amounts.electricity_mwh) as electricity_mwh,
        sum(amounts.heat_gj) as heat_gj,
        sum(amounts.reporting_units) as reporting_units
    from amounts
    inner join industry_sectors on industry_sectors.industry_code = amounts.industry_code
    group by all

),

cells as (

    select years.year, years.has_annual_final, counties.division_code, sectors.sector_code
    from years
    cross join counties
    cross join sectors

)

select
    cells.year,
    case when cells.has_annual_final then 'annual' else 'quick' end as report_type,
    cells.division_code,
    cells.sector_code,
    coalesce(by_sector.energy_tco2, 0)::decimal(38, 6) as energy_tco2,
    coalesce(process.process_tco2, 0)::decimal(38, 6) as process_tco2,
    (coalesce(by_sector.energy_tco2, 0) + coalesce(process.process_tco2, 0))::decimal(38, 6)
        as total_tco2,
    coalesce(by_sector.electricity_mwh, 0)::decimal(38, 6) as electricity_mwh,
    {{ decimal_amount("coalesce(by_sector.electricity_mwh, 0)::decimal(38, 6) * grid.value_tco2_per_mwh") }} as electricity_indirect_tco2,
    coalesce(by_sector.heat_gj, 0)::decimal(38, 6) as heat_gj,
    {{ decimal_amount("coalesce(by_sector.heat_gj, 0)::decimal(38, 6) * heat_factor.value_tco2_per_gj") }} as heat_indirect_tco2,
    case when by_sector.year is null then 0 else by_sector.reporting_units end as reporting_units
from cells
cross join heat_factor
left join grid on grid.year = cells.year
left join process
    on process.year = cells.year
    and process.division_code = cells.division_code
    and process.sector_code = cells.sector_code
left join by_sector
    on by_sector.year = cells.year
    and by_sector.division_code = cells.division_code
    and by_sector.sector_code = cells.sector_code
