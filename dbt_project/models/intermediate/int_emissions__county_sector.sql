-- Every county × key sector × year (dense: a cell with no activity is 0), the cell of every
-- published emission table:
-- * energy_tco2: fuel combustion (int_emissions__county_industry_fuel), industry → sector;
-- * process_tco2: industrial processes (int_process__county_product);
-- * total_tco2 = energy_tco2 + process_tco2, the territorial total;
-- * electricity_indirect_tco2 = end-use electricity (MWh) × the year's grid factor
--   (int_factors__grid_by_year); heat_indirect_tco2 = end-use heat (GJ) × the heat factor
--   (ref_heat_factors, var heat_factor_code). Indirect emissions are reported beside the total
--   and never added to it: the fuel behind them is already in some division's energy_tco2 or
--   outside the province;
-- * reporting_units: enterprises behind the cell, the largest count delivered on any row of a
--   county × industry (each row names the enterprises behind that variety) summed over the
--   sector's industries; null where the cell's only rows are households.
-- report_type is 'annual' where the year's annual final exists, else 'quick'. Amounts
-- (tCO2, MWh, GJ) are decimal(38,6), so any sum of cells is exact; an indirect cell is its
-- rounded MWh (GJ) × factor.
with consumption as (

    select * from {{ ref('int_energy__annual_consumption') }}

),

years as (

    select year, bool_or(report_type = 'annual') as has_annual_final
    from consumption
    group by year

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

varieties as (

    select energy_name, energy_category from {{ ref('ref_energy_varieties') }}

),

grid as (

    select year, value_tco2_per_mwh from {{ ref('int_factors__grid_by_year') }}

),

heat_factor as (

    select value_tco2_per_gj
    from {{ ref('ref_heat_factors') }}
    where factor_code = '{{ var("heat_factor_code") }}'

),

energy as (

    select emissions.year, emissions.division_code, industry_sectors.sector_code,
        sum(emissions.energy_tco2) as energy_tco2
    from {{ ref('int_emissions__county_industry_fuel') }} as emissions
    inner join industry_sectors on industry_sectors.industry_code = emissions.industry_code
    group by all

),

process as (

    select year, division_code, sector_code, sum(process_tco2) as process_tco2
    from {{ ref('int_process__county_product') }}
    group by all

),

end_use as (

    select
        consumption.year,
        consumption.division_code,
        industry_sectors.sector_code,
        sum(case when varieties.energy_category = 'electricity'
            then consumption.quantity_canonical else 0 end) as electricity_mwh,
        sum(case when varieties.energy_category = 'heat'
            then consumption.quantity_canonical else 0 end) as heat_gj
    from consumption
    inner join varieties on varieties.energy_name = consumption.energy_name
    inner join industry_sectors on industry_sectors.industry_code = consumption.industry_code
    where consumption.energy_use in ('{{ var("indirect_uses") | join("', '") }}')
    group by all

),

units_by_industry as (

    select year, division_code, industry_code, max(reporting_units) as reporting_units
    from consumption
    group by all

),

units as (

    select units_by_industry.year, units_by_industry.division_code, industry_sectors.sector_code,
        sum(units_by_industry.reporting_units) as reporting_units
    from units_by_industry
    inner join industry_sectors
        on industry_sectors.industry_code = units_by_industry.industry_code
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
    coalesce(energy.energy_tco2, 0)::decimal(38, 6) as energy_tco2,
    coalesce(process.process_tco2, 0)::decimal(38, 6) as process_tco2,
    (coalesce(energy.energy_tco2, 0) + coalesce(process.process_tco2, 0))::decimal(38, 6)
        as total_tco2,
    coalesce(end_use.electricity_mwh, 0)::decimal(38, 6) as electricity_mwh,
    cast(coalesce(end_use.electricity_mwh, 0)::decimal(38, 6) * grid.value_tco2_per_mwh
        as decimal(38, 6))
        as electricity_indirect_tco2,
    coalesce(end_use.heat_gj, 0)::decimal(38, 6) as heat_gj,
    cast(coalesce(end_use.heat_gj, 0)::decimal(38, 6) * heat_factor.value_tco2_per_gj
        as decimal(38, 6))
        as heat_indirect_tco2,
    case when units.year is null then 0 else units.reporting_units end as reporting_units
from cells
cross join heat_factor
left join grid on grid.year = cells.year
left join energy
    on energy.year = cells.year
    and energy.division_code = cells.division_code
    and energy.sector_code = cells.sector_code
left join process
    on process.year = cells.year
    and process.division_code = cells.division_code
    and process.sector_code = cells.sector_code
left join end_use
    on end_use.year = cells.year
    and end_use.division_code = cells.division_code
    and end_use.sector_code = cells.sector_code
left join units
    on units.year = cells.year
    and units.division_code = cells.division_code
    and units.sector_code = cells.sector_code
