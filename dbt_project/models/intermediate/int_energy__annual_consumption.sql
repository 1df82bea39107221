-- Annual consumption per county × industry × variety × use: the annual final where the year has
-- one, otherwise the year's annual quick report, otherwise the sum of its monthly quick reports.
-- `report_type` says which: 'annual' (年报, final) or 'quick' (快报). Years first_year..last_year.
-- A table: four models read it, and reading typed rows once stored is cheaper than re-casting
-- the feed's text for each (bench/accounting.py: 15 s instead of 21 s at 20 million rows).
with consumption as (

    select * from {{ ref('stg_stats__energy_consumption') }}
    where year between {{ var('first_year') }} and {{ var('last_year') }}

),

year_reports as (

    select
        year,
        bool_or(month is null and report_type = 'annual') as has_annual_final,
        bool_or(month is null and report_type = 'quick') as has_annual_quick
    from consumption
    group by year

),

annual_reports as (

    select consumption.year,
        case when year_reports.has_annual_final then 'annual' else 'quick' end as report_type,
        consumption.division_code, consumption.industry_code, consumption.energy_name,
        consumption.energy_use, consumption.canonical_unit, consumption.quantity_canonical,
        consumption.reporting_units
    from consumption
    inner join year_reports on year_reports.year = consumption.year
    where consumption.month is null
      and consumption.report_type
        = case when year_reports.has_annual_final then 'annual' else 'quick' end

),

monthly_quicks as (

    select consumption.year, 'quick' as report_type, consumption.division_code,
        consumption.industry_code, consumption.energy_name, consumption.energy_use,
        consumption.canonical_unit, sum(consumption.quantity_canonical) as quantity_canonical,
        max(consumption.reporting_units) as reporting_units
    from consumption
    inner join year_reports on year_reports.year = consumption.year
    where consumption.month is not null
      and not year_reports.has_annual_final
      and not year_reports.has_annual_quick
    group by consumption.year, consumption.division_code, consumption.industry_code,
        consumption.energy_name, consumption.energy_use, consumption.canonical_unit

)

select * from annual_reports
union all
select * from monthly_quicks
