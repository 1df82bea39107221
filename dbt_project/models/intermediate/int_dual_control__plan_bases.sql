-- The base year of every five-year plan (ref_plan_periods) for every division with emissions in
-- it: the base year's emissions (int_emissions__division_totals: the final, else the quick
-- report), its GDP at its own prices (int_economy__gdp_constant_prices_by_plan, the plan's
-- prices) and the base intensity I_B = total_tco2 / (GDP × 10^4) in tCO2 per 万元, from which
-- the plan's intensity path starts (progress: out_dual_control__progress; budgets:
-- out_dual_control__budgets). Null intensity where the base year's GDP is not in yet, or where
-- its emissions are a quick estimate of part of the year (base_months_reported < 12: the year
-- in progress, or its last monthly quick reports not in yet).
with plans as (

    select plan_period, base_year from {{ ref('ref_plan_periods') }}

),

totals as (

    select * from {{ ref('int_emissions__division_totals') }}

),

gdp as (

    select * from {{ ref('int_economy__gdp_constant_prices_by_plan') }}

),

quick_months as (

    select year, max(months_reported) as months_reported
    from {{ ref('int_emissions__quick_estimates_county') }}
    group by year

),

bases as (

    select
        plans.plan_period,
        plans.base_year,
        totals.division_code,
        totals.report_type,
        totals.total_tco2,
        gdp.gdp_100m_yuan_constant,
        case when totals.report_type = 'annual' then 12 else quick_months.months_reported end
            as months_reported
    from plans
    inner join totals on totals.year = plans.base_year
    left join quick_months on quick_months.year = plans.base_year
    left join gdp
        on gdp.division_code = totals.division_code
        and gdp.year = plans.base_year
        and gdp.plan_period = plans.plan_period

)

select
    plan_period,
    cast(base_year as integer) as base_year,
    division_code,
    report_type as base_report_type,
    cast(months_reported as integer) as base_months_reported,
    cast(total_tco2 as double) as base_total_tco2,
    cast(gdp_100m_yuan_constant as double) as base_gdp_100m_yuan,
    case when months_reported = 12
        then cast(total_tco2 as double) / (gdp_100m_yuan_constant * 10000)
    end as base_intensity
from bases
