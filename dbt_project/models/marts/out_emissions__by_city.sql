-- CO2 by city and year (published as emissions_by_city): territorial total = energy (fuel
-- combustion) + industrial processes; indirect emissions of electricity beside it, never in it;
-- carbon intensity on constant-price GDP (base year var gdp_base_year) and population.
with totals as (

    select * from {{ ref('int_emissions__division_totals') }}
    where division_level = 'city'

)

select
    year,
    report_type,
    division_code,
    division_name_zh,
    energy_tco2,
    process_tco2,
    total_tco2,
    electricity_indirect_tco2,
    gdp_100m_yuan_constant,
    intensity_tco2_per_10k_yuan,
    population_10k,
    heat_indirect_tco2,
    electricity_mwh,
    heat_gj,
    grid_factor_tco2_per_mwh,
    grid_factor_year,
    grid_factor_region,
    gdp_100m_yuan,
    gdp_base_year,
    tco2_per_capita,
    real_growth_pct
from totals
order by year, division_code
