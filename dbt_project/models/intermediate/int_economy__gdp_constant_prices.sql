-- GDP of every division and year at current prices and at the constant prices the published
-- tables use: those of the base year of the plan period flagged is_gdp_price_base in
-- ref_plan_periods (2020, the 14th five-year plan's), from int_economy__gdp_constant_prices_by_plan.
with by_plan as (

    select * from {{ ref('int_economy__gdp_constant_prices_by_plan') }}

),

price_base as (

    select plan_period from {{ ref('ref_plan_periods') }} where is_gdp_price_base

)

select
    by_plan.year,
    by_plan.report_type,
    by_plan.division_code,
    by_plan.gdp_100m_yuan,
    by_plan.real_growth_pct,
    by_plan.secondary_industry_100m_yuan,
    by_plan.base_year as gdp_base_year,
    by_plan.gdp_100m_yuan_constant
from by_plan
inner join price_base on price_base.plan_period = by_plan.plan_period
