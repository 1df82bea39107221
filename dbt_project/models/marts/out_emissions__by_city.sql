-- CO2 by city and year (published as emissions_by_city): territorial total = energy (fuel
-- combustion) + industrial processes; indirect emissions of electricity beside it, never in it;
-- carbon intensity on constant-price GDP (base year var gdp_base_year) and population. The
-- inputs of disclosure control (not published): a city's rows are cells of the same disclosure
-- problem as its sector cells (disclosure/, the asset disclosure_emissions_by_division_sector).
with totals as (

    select * from {{ ref('int_emissions__division_totals') }}
    where division_level = 'city'

),

disclosure_inputs as (

    -- Behind the division's total: the reporting units of its sector cells, summed, and its
    -- largest carbon-market entity (the largest of its sector cells' largest entities).
    select
        year,
        division_code,
        sum(reporting_units) as reporting_units,
        max(max_entity_verified_tco2) as max_entity_verified_tco2
    from {{ ref('out_emissions__by_division_sector') }}
    where division_level = 'city'
    group by year, division_code

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
    cast(disclosure_inputs.reporting_units as bigint) as reporting_units,
    cast(disclosure_inputs.max_entity_verified_tco2 as double)
        / nullif(cast(totals.total_tco2 as double), 0)
        as max_entity_share
from totals
left join disclosure_inputs
    on disclosure_inputs.year = totals.year
    and disclosure_inputs.division_code = totals.division_code
order by totals.year, totals.division_code
