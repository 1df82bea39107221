-- GDP of every division and year at current prices and at the constant prices of each
-- five-year plan's base year (ref_plan_periods.base_year: 2020 for the 14th plan, 2025 for the
-- 15th, …), by chain-linking the delivered real growth rates (real_growth_pct, growth over the
-- previous year at constant prices):
--   gdp_constant_B(B) = gdp(B);
--   gdp_constant_B(Y) = gdp_constant_B(Y-1) × (1 + g(Y)/100)        for Y > B,
--   gdp_constant_B(Y) = gdp_constant_B(Y+1) / (1 + g(Y+1)/100)      for Y < B,
-- i.e. gdp(B) × I(Y) / I(B) with the chain index I(Y) = Π (1 + g(k)/100) over k ≤ Y. A year
-- gets a value only if every year between it and B was delivered (null otherwise, and for a
-- division without the base year). Of a year's reports the one of the highest precedence
-- (ref_report_types: the annual final) is used. Values are rounded to 10^-6 亿元 (100 yuan).
-- One row per year × division × plan period, so progress against any plan's targets can be
-- computed at that plan's prices.
with ranked as (

    select
        gdp.*,
        row_number() over (
            partition by gdp.year, gdp.division_code
            order by report_types.precedence nulls last
        ) as report_rank
    from {{ ref('stg_stats__gdp') }} as gdp
    left join {{ ref('ref_report_types') }} as report_types
        on report_types.report_type = gdp.report_type

),

delivered as (

    select * from ranked where report_rank = 1

),

chained as (

    select
        *,
        year - row_number() over (partition by division_code order by year) as contiguous_run,
        {{ window_product(
            '1 + real_growth_pct / 100.0',
            'partition by division_code order by year'
            ~ ' rows between unbounded preceding and current row'
        ) }} as chain_index
    from delivered

),

plans as (

    select plan_period, base_year from {{ ref('ref_plan_periods') }}

),

bases as (

    select
        plans.plan_period,
        chained.division_code,
        chained.gdp_100m_yuan as base_gdp_100m_yuan,
        chained.chain_index as base_index,
        chained.contiguous_run as base_run
    from plans
    inner join chained on chained.year = plans.base_year

)

select
    chained.year,
    chained.report_type,
    chained.division_code,
    chained.gdp_100m_yuan,
    chained.real_growth_pct,
    chained.secondary_industry_100m_yuan,
    plans.plan_period,
    plans.base_year,
    round(case when chained.contiguous_run = bases.base_run
        then bases.base_gdp_100m_yuan * chained.chain_index / bases.base_index
    end, 6) as gdp_100m_yuan_constant
from chained
cross join plans
left join bases
    on bases.plan_period = plans.plan_period
    and bases.division_code = chained.division_code
