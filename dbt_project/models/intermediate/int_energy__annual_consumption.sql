{{ config(materialized='view') }}
-- Annual consumption per county × industry × variety × use: the annual final where the year has
-- one, otherwise the year's annual quick report, otherwise the sum of its monthly quick reports.
-- `report_type` says which: 'annual' (年报, final) or 'quick' (快报). Years first_year..last_year.
-- A view: int_energy__county_industry aggregates it in one pass; storing the finest grain cost
-- more than all the sums above it (bench/accounting.py: 9 of 12 s at 20 million rows). Each
-- kind of report is its own branch, filtered on its own columns, so the finals (nearly every
-- row) reach the sums without a join: a join of every row to the years' report kinds cost half
-- again as much as the sums themselves. The branches filter on the period text
-- (macros/periods.sql), which DuckDB applies while it scans.
with quick_reports as (

    -- The quick reports delivered: a few dozen periods. Every monthly report is a quick report
    -- (the ingest rejects a file named otherwise), so a filter on the report type finds them,
    -- and DuckDB skips from the column's statistics the blocks that hold only finals.
    select distinct period from {{ ref('stg_stats__energy_consumption') }}
    where report_type = 'quick'

),

final_years as (

    -- The years of quick reports whose annual final has arrived: only those years' finals are
    -- looked for, not the distinct periods of every row (a full pass, 5% of the sums).
    select distinct {{ period_year('period') }} as year
    from {{ ref('stg_stats__energy_consumption') }}
    where report_type = 'annual' and {{ period_is_year('period') }}
      and period in (select left(period, 4) from quick_reports)

),

annual_quick_years as (

    select distinct {{ period_year('period') }} as year from quick_reports
    where {{ period_is_year('period') }}

),

annual_finals as (

    select year, 'annual' as report_type, division_code, industry_code, energy_name,
        energy_use, canonical_unit, quantity_canonical, reporting_units
    from {{ ref('stg_stats__energy_consumption') }}
    where {{ period_is_year('period') }} and {{ period_in_project_years('period') }}
      and report_type = 'annual'

),

annual_quicks as (

    select year, 'quick' as report_type, division_code, industry_code, energy_name,
        energy_use, canonical_unit, quantity_canonical, reporting_units
    from {{ ref('stg_stats__energy_consumption') }}
    where {{ period_is_year('period') }} and {{ period_in_project_years('period') }}
      and report_type = 'quick'
      and year not in (select year from final_years)

),

monthly_quicks as (

    select year, 'quick' as report_type, division_code, industry_code, energy_name,
        energy_use, canonical_unit, {{ exact_sum('quantity_canonical') }} as quantity_canonical,
        max(reporting_units) as reporting_units
    from {{ ref('stg_stats__energy_consumption') }}
    where report_type = 'quick' and {{ period_is_month('period') }}
      and {{ period_in_project_years('period') }}
      and year not in (select year from final_years)
      and year not in (select year from annual_quick_years)
    group by year, division_code, industry_code, energy_name, energy_use, canonical_unit

)

select * from annual_finals
union all
select * from annual_quicks
union all
select * from monthly_quicks
