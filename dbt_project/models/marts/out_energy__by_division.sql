-- Energy consumption (tce) and the non-fossil share of every division (province, city, county)
-- and year (published as energy_by_division).
--   energy_tce                        = fossil + other + heat + electricity × 0.1229 tce/MWh
--                                       (calorific equivalent, 当量值);
--   energy_tce_generation_equivalent  = the same with electricity × the year's generation
--                                       equivalent (等价值, coal burnt per MWh of coal power);
--   non_fossil_share_pct              = non_fossil_tce / energy_tce_generation_equivalent × 100,
--                                       on the generation-equivalent basis as NBS counts it.
with energy as (

    select * from {{ ref('int_energy__division_tce') }}

),

conversion as (

    select * from {{ ref('int_energy__electricity_conversion_by_year') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

gdp as (

    select * from {{ ref('int_economy__gdp_constant_prices') }}

)

select
    energy.year,
    energy.report_type,
    energy.division_code,
    energy.division_level,
    energy.energy_tce,
    cast(energy.non_fossil_tce * 100.0 as double)
        / nullif(cast(energy.energy_tce_generation_equivalent as double), 0)
        as non_fossil_share_pct,
    divisions.division_name_zh,
    energy.energy_tce_generation_equivalent,
    energy.fossil_tce,
    energy.other_tce,
    energy.heat_tce,
    energy.electricity_mwh,
    energy.electricity_tce_calorific,
    energy.electricity_tce_generation_equivalent,
    conversion.calorific_tce_per_mwh,
    conversion.generation_equivalent_tce_per_mwh,
    conversion.generation_equivalent_source,
    energy.non_fossil_tce,
    conversion.non_fossil_generation_share * 100.0 as non_fossil_generation_share_pct,
    conversion.non_fossil_share_source,
    energy.fossil_combustion_tce,
    gdp.gdp_100m_yuan_constant,
    energy.energy_tce / (gdp.gdp_100m_yuan_constant * 10000) as energy_intensity_tce_per_10k_yuan
from energy
inner join divisions on divisions.division_code = energy.division_code
inner join conversion on conversion.year = energy.year
left join gdp on gdp.year = energy.year and gdp.division_code = energy.division_code
order by energy.year, energy.division_level, energy.division_code
