-- Per county × industry × year, every amount the marts need, in one pass over the year's best
-- consumption rows (int_energy__annual_consumption, a view: the finest grain is never stored):
-- * energy_tco2: combustion CO2, the rows of int_emissions__county_industry_fuel summed: each
--   row of a combustion use (ref_energy_uses.is_combustion) × its fuel's tco2_per_unit, rounded
--   to the gram (decimal(38,6)) row by row, so this sum and the fine grain's agree exactly;
-- * electricity_mwh, heat_gj: electricity and heat of the uses that carry indirect emissions
--   (ref_energy_uses.is_indirect);
-- * final_fossil_tce, final_other_tce, final_heat_tce, final_electricity_mwh: final
--   consumption (ref_energy_uses.is_final_consumption) by kind, fuels × their tce coefficient;
-- * combustion_fossil_tce: the fossil fuel burnt (combustion uses) × its tce coefficient;
-- * reporting_units: the enterprises behind the county × industry, the largest count named on
--   any of its rows (each row names the enterprises behind that variety); null for households.
-- A table: the county × sector cells (int_emissions__county_sector) and the energy balance
-- (int_energy__division_tce) both read it, and it is ~150 times smaller than the consumption.
with consumption as (

    select * from {{ ref('int_energy__annual_consumption') }}

),

varieties as (

    select energy_name, energy_category, is_fossil, tce_per_unit
    from {{ ref('ref_energy_varieties') }}

),

factors as (

    select energy_name, tco2_per_unit from {{ ref('int_factors__energy_co2_per_unit') }}

),

uses as (

    select use, is_combustion, is_indirect, is_final_consumption
    from {{ ref('ref_energy_uses') }}

),

classified as (

    select
        consumption.year,
        consumption.report_type,
        consumption.division_code,
        consumption.industry_code,
        consumption.quantity_canonical,
        consumption.reporting_units,
        factors.tco2_per_unit,
        varieties.energy_category,
        varieties.is_fossil,
        varieties.tce_per_unit,
        -- A use missing from the seed counts for nothing (the staging test on energy_use fails).
        coalesce(uses.is_combustion, false) as is_combustion,
        coalesce(uses.is_indirect, false) as is_indirect,
        coalesce(uses.is_final_consumption, false) as is_final
    from consumption
    inner join varieties on varieties.energy_name = consumption.energy_name
    left join factors on factors.energy_name = consumption.energy_name
    left join uses on uses.use = consumption.energy_use

)

select
    year,
    -- One kind of report per year (int_energy__annual_consumption): not a grouping key, which
    -- would hash a string more per row.
    any_value(report_type) as report_type,
    division_code,
    industry_code,
    coalesce(sum(case when is_combustion
        then {{ decimal_amount("quantity_canonical * tco2_per_unit") }} end), 0)::decimal(38, 6)
        as energy_tco2,
    sum(case when is_indirect and energy_category = 'electricity'
        then {{ decimal_amount("quantity_canonical") }} else 0 end)::decimal(38, 6)
        as electricity_mwh,
    sum(case when is_indirect and energy_category = 'heat'
        then {{ decimal_amount("quantity_canonical") }} else 0 end)::decimal(38, 6) as heat_gj,
    sum(case when is_final and is_fossil
        then {{ decimal_amount("quantity_canonical * tce_per_unit") }} else 0 end)::decimal(38, 6)
        as final_fossil_tce,
    sum(case when is_final and energy_category = 'other'
        then {{ decimal_amount("quantity_canonical * tce_per_unit") }} else 0 end)::decimal(38, 6)
        as final_other_tce,
    sum(case when is_final and energy_category = 'heat'
        then {{ decimal_amount("quantity_canonical * tce_per_unit") }} else 0 end)::decimal(38, 6)
        as final_heat_tce,
    sum(case when is_final and energy_category = 'electricity'
        then {{ decimal_amount("quantity_canonical") }} else 0 end)::decimal(38, 6)
        as final_electricity_mwh,
    sum(case when is_combustion and is_fossil
        then {{ decimal_amount("quantity_canonical * tce_per_unit") }} else 0 end)::decimal(38, 6)
        as combustion_fossil_tce,
    max(reporting_units) as reporting_units
from classified
group by year, division_code, industry_code
