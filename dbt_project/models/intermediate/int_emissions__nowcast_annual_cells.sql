-- Every year with daily data × county × key sector: what the electricity–carbon model is fitted
-- on and tested against.
-- * electricity_mwh: the year's metered electricity (int_power__electricity_daily);
--   heating_electricity_mwh: of it, the days of the sector's heating season
--   (ref_heating_seasons; 0 for a sector that does not heat);
-- * plant_tco2, plant_generation_mwh: the dispatched plants' fuel CO2 and generation
--   (int_power__plant_emissions_daily), the power sector's activity;
-- * final_tco2: the territorial CO2 of the annual final (int_emissions__county_sector,
--   report_type 'annual'), null for a year without one;
-- * is_full_year: meter and dispatch data cover every day of the year (only such years are
--   fitted on or backtested);
-- * quick_months: the months of the year the county's quick reports cover so far
--   (int_emissions__quick_estimates_county, January to that month; 0 without one), and
--   quick_electricity_mwh, quick_heating_electricity_mwh, quick_plant_tco2: the activities of
--   those months, what the model's calibration on the quick reports compares them with.
with electricity as (

    select * from {{ ref('int_power__electricity_daily') }}

),

plants as (

    select * from {{ ref('int_power__plant_emissions_daily') }}

),

heating_seasons as (

    select sector_code, heating_from, heating_to from {{ ref('ref_heating_seasons') }}

),

finals as (

    select year, division_code, sector_code, total_tco2
    from {{ ref('int_emissions__county_sector') }}
    where report_type = 'annual'

),

counties as (

    select division_code from {{ ref('ref_divisions') }} where division_level = 'county'

),

quick_months as (

    select year, division_code, months_reported
    from {{ ref('int_emissions__quick_estimates_county') }}

),

sectors as (

    select sector_code from {{ ref('ref_sectors') }}

),

metered_days as (

    select year, count(distinct reading_date) as days_metered
    from electricity
    group by year

),

dispatched_days as (

    select year, count(distinct generation_date) as days_dispatched
    from plants
    group by year

),

years as (

    select
        metered_days.year,
        metered_days.days_metered,
        coalesce(dispatched_days.days_dispatched, 0) as days_dispatched,
        {{ dbt.datediff("cast(concat(cast(metered_days.year as string), '-01-01') as date)",
            "cast(concat(cast(metered_days.year + 1 as string), '-01-01') as date)", 'day') }}
            as days_in_year
    from metered_days
    left join dispatched_days on dispatched_days.year = metered_days.year

),

by_sector as (

    select
        electricity.year,
        electricity.division_code,
        electricity.sector_code,
        sum(electricity.electricity_mwh) as electricity_mwh,
        sum(case when {{ is_heating_day('electricity.reading_date', 'heating_seasons') }}
            then electricity.electricity_mwh else 0 end) as heating_electricity_mwh,
        sum(case when month(electricity.reading_date) <= quick_months.months_reported
            then electricity.electricity_mwh else 0 end) as quick_electricity_mwh,
        sum(case when month(electricity.reading_date) <= quick_months.months_reported
            and {{ is_heating_day('electricity.reading_date', 'heating_seasons') }}
            then electricity.electricity_mwh else 0 end) as quick_heating_electricity_mwh
    from electricity
    left join heating_seasons on heating_seasons.sector_code = electricity.sector_code
    left join quick_months
        on quick_months.year = electricity.year
        and quick_months.division_code = electricity.division_code
    group by electricity.year, electricity.division_code, electricity.sector_code

),

power as (

    select plants.year, plants.division_code, 'power' as sector_code,
        sum(plants.fuel_tco2) as plant_tco2,
        sum(case when month(plants.generation_date) <= quick_months.months_reported
            then plants.fuel_tco2 else 0 end) as quick_plant_tco2,
        {{ exact_sum('plants.generation_mwh') }} as plant_generation_mwh
    from plants
    left join quick_months
        on quick_months.year = plants.year
        and quick_months.division_code = plants.division_code
    group by plants.year, plants.division_code

)

select
    years.year,
    counties.division_code,
    sectors.sector_code,
    years.days_metered = years.days_in_year and years.days_dispatched = years.days_in_year
        as is_full_year,
    cast(coalesce(by_sector.electricity_mwh, 0) as decimal(38, 6)) as electricity_mwh,
    cast(coalesce(by_sector.heating_electricity_mwh, 0) as decimal(38, 6))
        as heating_electricity_mwh,
    cast(coalesce(power.plant_tco2, 0) as decimal(38, 6)) as plant_tco2,
    cast(coalesce(power.plant_generation_mwh, 0) as double) as plant_generation_mwh,
    finals.total_tco2 as final_tco2,
    cast(coalesce(quick_months.months_reported, 0) as integer) as quick_months,
    cast(coalesce(by_sector.quick_electricity_mwh, 0) as decimal(38, 6)) as quick_electricity_mwh,
    cast(coalesce(by_sector.quick_heating_electricity_mwh, 0) as decimal(38, 6))
        as quick_heating_electricity_mwh,
    cast(coalesce(power.quick_plant_tco2, 0) as decimal(38, 6)) as quick_plant_tco2
from years
cross join counties
cross join sectors
left join by_sector
    on by_sector.year = years.year
    and by_sector.division_code = counties.division_code
    and by_sector.sector_code = sectors.sector_code
left join power
    on power.year = years.year
    and power.division_code = counties.division_code
    and power.sector_code = sectors.sector_code
left join finals
    on finals.year = years.year
    and finals.division_code = counties.division_code
    and finals.sector_code = sectors.sector_code
left join quick_months
    on quick_months.year = years.year
    and quick_months.division_code = counties.division_code
