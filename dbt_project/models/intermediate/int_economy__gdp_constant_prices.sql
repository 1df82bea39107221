{#- Base years: the plan bases (var gdp_plan_base_years) and the chosen one (var gdp_base_year). -#}
{%- set base_years = (var('gdp_plan_base_years') + [var('gdp_base_year')]) | map('int') | unique | list -%}
-- GDP of every division and year at current prices and at constant prices of a base year, by
-- chain-linking the delivered real growth rates (real_growth_pct, growth over the previous year
-- at constant prices):
--   gdp_constant_B(B) = gdp(B);
--   gdp_constant_B(Y) = gdp_constant_B(Y-1) × (1 + g(Y)/100)        for Y > B,
--   gdp_constant_B(Y) = gdp_constant_B(Y+1) / (1 + g(Y+1)/100)      for Y < B,
-- i.e. gdp(B) × I(Y) / I(B) with the chain index I(Y) = Π (1 + g(k)/100) over k ≤ Y. A year
-- gets a value only if every year between it and B was delivered. The annual final of a year
-- supersedes its quick (preliminary) figures. Columns for each plan base year (2020: 14th
-- five-year plan, 2025: 15th) and gdp_100m_yuan_constant for var gdp_base_year. Values are
-- rounded to 10^-6 亿元 (100 yuan).
with delivered as (

    select * from {{ ref('stg_stats__gdp') }}
    qualify row_number() over (
        partition by year, division_code
        order by case when report_type = 'annual' then 0 else 1 end
    ) = 1

),

chained as (

    select
        *,
        year - row_number() over (partition by division_code order by year) as contiguous_run,
        product(1 + real_growth_pct / 100.0) over (
            partition by division_code order by year rows between unbounded preceding and current row
        ) as chain_index
    from delivered

),

{% for base_year in base_years %}
base_{{ base_year }} as (

    select division_code, gdp_100m_yuan as base_gdp_100m_yuan, chain_index as base_index,
        contiguous_run as base_run
    from chained
    where year = {{ base_year }}

),
{% endfor %}

constant_prices as (

    select
        chained.year,
        chained.report_type,
        chained.division_code,
        chained.gdp_100m_yuan,
        chained.real_growth_pct,
        chained.secondary_industry_100m_yuan,
        {% for base_year in base_years %}
        round(case when chained.contiguous_run = base_{{ base_year }}.base_run
            then base_{{ base_year }}.base_gdp_100m_yuan * chained.chain_index
                / base_{{ base_year }}.base_index
        end, 6) as gdp_100m_yuan_constant_{{ base_year }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from chained
    {% for base_year in base_years %}
    left join base_{{ base_year }}
        on base_{{ base_year }}.division_code = chained.division_code
    {% endfor %}

)

select
    *,
    {{ var('gdp_base_year') }} as gdp_base_year,
    gdp_100m_yuan_constant_{{ var('gdp_base_year') }} as gdp_100m_yuan_constant
from constant_prices
