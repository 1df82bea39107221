-- Annual consumption per county × industry × variety × use: the annual final where the year has
-- one, otherwise the year's annual quick report, otherwise the sum of its monthly quick reports.
-- `report_type` says which: 'annual' (年报, final) or 'quick' (快报). Years first_year..last_year.
with consumption as (

    select * from {{ ref('stg_stats__energy_consumption') }}
    where year between {{ var('first_year') }} and {{ var('last_year') }}

),

annual_finals as (

    select year, 'annual' as report_type, division_code, industry_code, energy_name, energy_use,
        canonical_unit, quantity_canonical, reporting_units
    from consumption
    where month is null and report_type = 'annual'

),

annual_quicks as (

    select year, 'quick' as report_type, division_code, industry_code, energy_name, energy_use,
        canonical_unit, quantity_canonical, reporting_units
    from consumption
    where month is null and report_type = 'quick'
      and year not in (select year from annual_finals)

),

monthly_quicks as (

    select year, 'quick' as report_type, division_code, industry_code, energy_name, energy_use,
        canonical_unit, sum(quantity_canonical) as quantity_canonical,
        max(reporting_units) as reporting_units
    from consumption
    where month is not null
      and year not in (select year from annual_finals)
      and year not in (select year from annual_quicks)
    group by all

)

select * from annual_finals
union all
select * from annual_quicks
union all
select * from monthly_quicks
