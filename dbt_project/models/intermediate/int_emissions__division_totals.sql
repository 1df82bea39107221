-- Emissions of every division (province, city, county) × year summed over the key sectors, with
-- what the published tables put beside them: the grid factor used, constant-price GDP and the
-- carbon intensity, resident population and emissions per head.
--   intensity_tco2_per_10k_yuan = total_tco2 / (gdp_100m_yuan_constant × 10^4), 1 亿元 = 10^4 万元;
--   tco2_per_capita            = total_tco2 / (population_10k × 10^4).
-- GDP and population are the division's own delivered figures (they need not add up); the
-- constant prices are those of the price base of ref_plan_periods (is_gdp_price_base).
with cells as (

    select * from {{ ref('int_emissions__division_sector') }}

),

totals as (

    select
        year,
        report_type,
        division_code,
        division_level,
        division_name_zh,
        parent_code,
        sum(energy_tco2)::decimal(38, 6) as energy_tco2,
        sum(process_tco2)::decimal(38, 6) as process_tco2,
        sum(total_tco2)::decimal(38, 6) as total_tco2,
        sum(electricity_mwh)::decimal(38, 6) as electricity_mwh,
        sum(electricity_indirect_tco2)::decimal(38, 6) as electricity_indirect_tco2,
        sum(heat_gj)::decimal(38, 6) as heat_gj,
        sum(heat_indirect_tco2)::decimal(38, 6) as heat_indirect_tco2
    from cells
    group by year, report_type, division_code, division_level, division_name_zh, parent_code

),

gdp as (

    select * from {{ ref('int_economy__gdp_constant_prices') }}

),

population as (

    select * from {{ ref('stg_stats__population') }}

),

grid as (

    select * from {{ ref('int_factors__grid_by_year') }}

),

price_base as (

    select base_year as gdp_base_year
    from {{ ref('ref_plan_periods') }}
    where is_gdp_price_base

)

select
    totals.year,
    totals.report_type,
    totals.division_code,
    totals.division_level,
    totals.division_name_zh,
    totals.parent_code,
    totals.energy_tco2,
    totals.process_tco2,
    totals.total_tco2,
    totals.electricity_mwh,
    totals.electricity_indirect_tco2,
    totals.heat_gj,
    totals.heat_indirect_tco2,
    grid.value_tco2_per_mwh as grid_factor_tco2_per_mwh,
    grid.factor_year as grid_factor_year,
    grid.factor_region as grid_factor_region,
    gdp.gdp_100m_yuan,
    gdp.real_growth_pct,
    price_base.gdp_base_year,
    gdp.gdp_100m_yuan_constant,
    totals.total_tco2 / (gdp.gdp_100m_yuan_constant * 10000) as intensity_tco2_per_10k_yuan,
    population.resident_population_10k as population_10k,
    totals.total_tco2 / (population.resident_population_10k * 10000) as tco2_per_capita
from totals
cross join price_base
left join grid on grid.year = totals.year
left join gdp on gdp.year = totals.year and gdp.division_code = totals.division_code
left join population
    on population.year = totals.year and population.division_code = totals.division_code
