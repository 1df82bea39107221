-- The monthly quick reports (月度快报) as CO2, month by month, for every division (county, city,
-- province: counties summed up ref_divisions, exactly) × key sector: energy CO2 of each month's
-- quick consumption (combustion uses only, the factors of the finals:
-- int_factors__energy_co2_per_unit; industry → sector by ref_industry_sectors) and process CO2 of
-- the month's quick industrial output (int_process__county_product_month), with the year to
-- date (January to the month, summed). Only the monthly reports: an annual quick report has no
-- months, and a year's months are those of its energy reports. What the early warnings compare
-- like for like (out_dual_control__warnings) and, summed over the sectors, the carbon budgets'
-- use to date and forecast rest on (int_emissions__quick_months).
with consumption as (

    select * from {{ ref('stg_stats__energy_consumption') }}
    where report_type = 'quick' and {{ period_is_month('period') }}
        and {{ period_in_project_years('period') }}

),

combustion as (

    select use from {{ ref('ref_energy_uses') }} where is_combustion

),

factors as (

    select * from {{ ref('int_factors__energy_co2_per_unit') }}

),

industry_sectors as (

    select industry_code, sector_code from {{ ref('ref_industry_sectors') }}

),

energy as (

    select
        consumption.year,
        consumption.month,
        consumption.division_code,
        industry_sectors.sector_code,
        sum({{ decimal_amount("consumption.quantity_canonical * factors.tco2_per_unit") }})
            as energy_tco2
    from consumption
    inner join combustion on combustion.use = consumption.energy_use
    inner join factors on factors.energy_name = consumption.energy_name
    inner join industry_sectors on industry_sectors.industry_code = consumption.industry_code
    group by consumption.year, consumption.month, consumption.division_code,
        industry_sectors.sector_code

),

process as (

    select year, month, division_code, sector_code, sum(process_tco2) as process_tco2
    from {{ ref('int_process__county_product_month') }}
    where report_type = 'quick' and month is not null
    group by year, month, division_code, sector_code

),

county_months as (

    select
        coalesce(energy.year, process.year) as year,
        coalesce(energy.month, process.month) as month,
        coalesce(energy.division_code, process.division_code) as division_code,
        coalesce(energy.sector_code, process.sector_code) as sector_code,
        coalesce(energy.energy_tco2, 0) as energy_tco2,
        coalesce(process.process_tco2, 0) as process_tco2
    from energy
    full outer join process
        on process.year = energy.year
        and process.month = energy.month
        and process.division_code = energy.division_code
        and process.sector_code = energy.sector_code

),

-- The months a year's quick energy reports cover (a process row alone does not make a month).
year_months as (

    select year, count(distinct month) as months_reported, max(month) as last_month
    from energy
    group by year

),

divisions as (

    select division_code, division_level, parent_code from {{ ref('ref_divisions') }}

),

ancestors as (

    {{ county_ancestors('divisions') }}

),

by_division as (

    select
        county_months.year,
        county_months.month,
        ancestors.division_code,
        ancestors.division_level,
        county_months.sector_code,
        sum(county_months.energy_tco2) as energy_tco2,
        sum(county_months.process_tco2) as process_tco2
    from county_months
    inner join ancestors on ancestors.county_code = county_months.division_code
    inner join year_months
        on year_months.year = county_months.year
        and county_months.month <= year_months.last_month
    group by county_months.year, county_months.month, ancestors.division_code,
        ancestors.division_level, county_months.sector_code

)

select
    cast(by_division.year as integer) as year,
    cast(by_division.month as integer) as month,
    cast(by_division.division_code as string) as division_code,
    cast(by_division.division_level as string) as division_level,
    cast(by_division.sector_code as string) as sector_code,
    cast(year_months.months_reported as integer) as months_reported,
    cast(by_division.energy_tco2 as decimal(38, 6)) as energy_tco2,
    cast(by_division.process_tco2 as decimal(38, 6)) as process_tco2,
    cast(by_division.energy_tco2 + by_division.process_tco2 as decimal(38, 6)) as total_tco2
from by_division
inner join year_months on year_months.year = by_division.year
