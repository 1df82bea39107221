{{ config(materialized='view') }}
-- The quick-report (快报) estimate of each year's consumption per county × industry × variety ×
-- use, kept apart from the finals: the year's annual quick report where delivered, otherwise the
-- sum of its monthly quick reports. Kept for every year that has quick reports, also after the
-- annual final arrived, so the revision can be measured (out_emissions__quick_vs_final).
-- A view: one model aggregates it (int_emissions__quick_estimates_county).
with consumption as (

    select * from {{ ref('stg_stats__energy_consumption') }}
    where report_type = 'quick' and {{ period_in_project_years('period') }}

),

annual_quicks as (

    select year, division_code, industry_code, energy_name, energy_use, canonical_unit,
        quantity_canonical, reporting_units,
        'annual_quick' as quick_basis,
        12 as months_reported
    from consumption
    where {{ period_is_year('period') }}

),

months as (

    select year, count(distinct month) as months_reported
    from consumption
    where {{ period_is_month('period') }}
    group by year

),

monthly_quicks as (

    select consumption.year, consumption.division_code, consumption.industry_code,
        consumption.energy_name, consumption.energy_use, consumption.canonical_unit,
        {{ exact_sum("consumption.quantity_canonical") }} as quantity_canonical,
        max(consumption.reporting_units) as reporting_units,
        'monthly_quicks' as quick_basis,
        any_value(months.months_reported) as months_reported
    from consumption
    inner join months on months.year = consumption.year
    where {{ period_is_month('consumption.period') }}
      and consumption.year not in (select year from annual_quicks)
    group by consumption.year, consumption.division_code, consumption.industry_code,
        consumption.energy_name, consumption.energy_use, consumption.canonical_unit

)

select * from annual_quicks
union all
select * from monthly_quicks
