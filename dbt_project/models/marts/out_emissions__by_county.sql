-- CO2 by county-level division and year (published as emissions_by_county): the same columns
-- as emissions_by_city, plus the city each county belongs to.
with totals as (

    select * from {{ ref('int_emissions__division_totals') }}
    where division_level = 'county'

),

divisions as (

    select * from {{ ref('ref_divisions') }}

)

select
    totals.year,
    totals.report_type,
    totals.division_code,
    totals.division_name_zh,
    totals.energy_tco2,
    totals.process_tco2,
    totals.total_tco2,
    totals.electricity_indirect_tco2,
    totals.gdp_100m_yuan_constant,
    totals.intensity_tco2_per_10k_yuan,
    totals.population_10k,
    totals.heat_indirect_tco2,
    totals.electricity_mwh,
    totals.heat_gj,
    totals.grid_factor_tco2_per_mwh,
    totals.grid_factor_year,
    totals.grid_factor_region,
    totals.gdp_100m_yuan,
    totals.gdp_base_year,
    totals.tco2_per_capita,
    totals.real_growth_pct,
    totals.parent_code as city_code,
    city.division_name_zh as city_name_zh
from totals
left join divisions as city on city.division_code = totals.parent_code
order by totals.year, totals.division_code
