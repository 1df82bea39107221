{{ config(materialized='view') }}
-- Annual consumption per county × industry × variety × use: the annual final where the year has
-- one, otherwise the year's annual quick report, otherwise the sum of its monthly quick reports.
-- `report_type` says which: 'annual' (年报, final) or 'quick' (快报). Years first_year..last_year.
-- A view: int_energy__county_industry aggregates it in one pass; storing the finest grain cost
-- more than all the sums above it (bench/accounting.py: 9 of 12 s at 20 million rows). Each
-- kind of report is its own branch, filtered on its own columns, so the finals (nearly every
-- row) reach the sums without a join: a join of every row to the years' report kinds cost half
-- again as much as the sums themselves.
with reports as (

    -- The kinds of report delivered: a few dozen distinct periods, found without typing every
    -- row's period (a full pass of casts cost a third of the sums).
    select distinct period, report_type from {{ ref('stg_stats__energy_consumption') }}

),

final_years as (

    select distinct {{ period_year('period') }} as year from reports
    where {{ period_month('period') }} is null and report_type = 'annual'

),

annual_quick_years as (

    select distinct {{ period_year('period') }} as year from reports
    where {{ period_month('period') }} is null and report_type = 'quick'

),

annual_finals as (

    select year, 'annual' as report_type, division_code, industry_code, energy_name,
        energy_use, canonical_unit, quantity_canonical, reporting_units
    from {{ ref('stg_stats__energy_consumption') }}
    where year between {{ var('first_year') }} and {{ var('last_year') }}
      and month is null and report_type = 'annual'

),

annual_quicks as (

    select year, 'quick' as report_type, division_code, industry_code, energy_name,
        energy_use, canonical_unit, quantity_canonical, reporting_units
    from {{ ref('stg_stats__energy_consumption') }}
    where year between {{ var('first_year') }} and {{ var('last_year') }}
      and month is null and report_type = 'quick'
      and year not in (select year from final_years)

),

monthly_quicks as (

    select year, 'quick' as report_type, division_code, industry_code, energy_name,
        energy_use, canonical_unit, sum(quantity_canonical) as quantity_canonical,
        max(reporting_units) as reporting_units
    from {{ ref('stg_stats__energy_consumption') }}
    where year between {{ var('first_year') }} and {{ var('last_year') }}
      and month is not null
      and year not in (select year from final_years)
      and year not in (select year from annual_quick_years)
    group by year, division_code, industry_code, energy_name, energy_use, canonical_unit

)

select * from annual_finals
union all
select * from annual_quicks
union all
select * from monthly_quicks
