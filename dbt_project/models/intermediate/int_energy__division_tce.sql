-- Energy consumption in tonnes of standard coal of every division level × year, built from the
-- counties' final consumption (var final_consumption_uses: 终端消费 and 原料用途; the amounts of
-- int_energy__county_industry) and summed in decimal arithmetic to the city and the province:
-- * fossil_tce: the fuels (ref_energy_varieties.is_fossil) × their tce coefficient;
-- * other_tce: 其他能源, delivered in tce; heat_tce: heat (GJ) × 0.03412 tce/GJ;
-- * electricity at the calorific equivalent (0.1229 tce/MWh) and at the year's generation
--   equivalent (int_energy__electricity_conversion_by_year);
-- * non_fossil_tce: the non-fossil part of the electricity consumed (the province's
--   non-fossil share of generation) at the generation equivalent, as NBS counts primary
--   electricity (发电煤耗计算法);
-- * fossil_combustion_tce: the fossil fuel burnt (var combustion_uses), the energy behind
--   energy_tco2, for reference.
-- Inputs to 火力发电, 供热 and the other transformations are not added to the consumption: their
-- products (electricity, heat, coke, gas) are consumed and counted at the end user.
with amounts as (

    select * from {{ ref('int_energy__county_industry') }}

),

conversion as (

    select * from {{ ref('int_energy__electricity_conversion_by_year') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

county_amounts as (

    select
        year,
        division_code,
        bool_or(report_type = 'annual') as has_annual_final,
        sum(final_fossil_tce) as fossil_tce,
        sum(final_other_tce) as other_tce,
        sum(final_heat_tce) as heat_tce,
        sum(final_electricity_mwh) as electricity_mwh,
        sum(combustion_fossil_tce) as fossil_combustion_tce
    from amounts
    group by year, division_code

),

years as (

    select year, bool_or(has_annual_final) as has_annual_final
    from county_amounts
    group by year

),

cells as (

    select years.year, years.has_annual_final, divisions.division_code
    from years
    cross join divisions
    where divisions.division_level = 'county'

),

county_cells as (

    select
        cells.year,
        case when cells.has_annual_final then 'annual' else 'quick' end as report_type,
        cells.division_code,
        coalesce(county_amounts.fossil_tce, 0) as fossil_tce,
        coalesce(county_amounts.other_tce, 0) as other_tce,
        coalesce(county_amounts.heat_tce, 0) as heat_tce,
        coalesce(county_amounts.electricity_mwh, 0) as electricity_mwh,
        {{ decimal_amount("coalesce(county_amounts.electricity_mwh, 0) * conversion.calorific_tce_per_mwh") }} as electricity_tce_calorific,
        {{ decimal_amount("coalesce(county_amounts.electricity_mwh, 0)
            * conversion.generation_equivalent_tce_per_mwh") }}
            as electricity_tce_generation_equivalent,
        {{ decimal_amount("coalesce(county_amounts.electricity_mwh, 0) * conversion.non_fossil_generation_share
            * conversion.generation_equivalent_tce_per_mwh") }} as non_fossil_tce,
        coalesce(county_amounts.fossil_combustion_tce, 0) as fossil_combustion_tce
    from cells
    inner join conversion on conversion.year = cells.year
    left join county_amounts
        on county_amounts.year = cells.year
        and county_amounts.division_code = cells.division_code

),

counties as (

    select county.division_code as county_code, county.parent_code as city_code,
        city.parent_code as province_code
    from divisions as county
    inner join divisions as city on city.division_code = county.parent_code
    where county.division_level = 'county'

),

by_level as (

    select county_cells.*, 'county' as division_level
    from county_cells

    {% for level in ['city', 'province'] %}
    union all

    select county_cells.year, county_cells.report_type, counties.{{ level }}_code,
        sum(county_cells.fossil_tce), sum(county_cells.other_tce), sum(county_cells.heat_tce),
        sum(county_cells.electricity_mwh), sum(county_cells.electricity_tce_calorific),
        sum(county_cells.electricity_tce_generation_equivalent),
        sum(county_cells.non_fossil_tce), sum(county_cells.fossil_combustion_tce),
        '{{ level }}' as division_level
    from county_cells
    inner join counties on counties.county_code = county_cells.division_code
    group by county_cells.year, county_cells.report_type, counties.{{ level }}_code
    {% endfor %}

)

select
    by_level.year,
    by_level.report_type,
    by_level.division_code,
    by_level.division_level,
    by_level.fossil_tce::decimal(38, 6) as fossil_tce,
    by_level.other_tce::decimal(38, 6) as other_tce,
    by_level.heat_tce::decimal(38, 6) as heat_tce,
    by_level.electricity_mwh::decimal(38, 6) as electricity_mwh,
    by_level.electricity_tce_calorific::decimal(38, 6) as electricity_tce_calorific,
    by_level.electricity_tce_generation_equivalent::decimal(38, 6)
        as electricity_tce_generation_equivalent,
    (by_level.fossil_tce + by_level.other_tce + by_level.heat_tce
        + by_level.electricity_tce_calorific)::decimal(38, 6) as energy_tce,
    (by_level.fossil_tce + by_level.other_tce + by_level.heat_tce
        + by_level.electricity_tce_generation_equivalent)::decimal(38, 6)
        as energy_tce_generation_equivalent,
    by_level.non_fossil_tce::decimal(38, 6) as non_fossil_tce,
    by_level.fossil_combustion_tce::decimal(38, 6) as fossil_combustion_tce
from by_level
