{{ config(materialized='view') }}
-- Energy CO2 per county × industry × fuel × use × year (the year's best figures: annual final,
-- else quick):
--   energy_tco2 = quantity × NCV (GJ/unit) × carbon content (tC/TJ) / 1000 × oxidation × 44/12.
-- Only combustion counts (ref_energy_uses.is_combustion: 终端消费 and the inputs to 火力发电 and
-- 供热).
-- Inputs to 炼焦, 炼油, 制气, 洗选煤 are transformations and 原料用途 is non-energy use: their
-- products are counted where they burn, so counting the inputs too would count the carbon
-- twice. Electricity, heat and 其他能源 carry no combustion factor (indirect or unknown).
-- energy_tco2 is rounded to the gram (decimal(38,6)) row by row, so every sum above is exact.
-- A view, the finest grain of the accounts for a reviewer and for the data test that holds the
-- marts' totals against it (assert_indirect_not_in_total); int_energy__county_industry sums the
-- same rows in its single pass over the consumption.
with consumption as (

    select * from {{ ref('int_energy__annual_consumption') }}
    where energy_use in (select use from {{ ref('ref_energy_uses') }} where is_combustion)

),

factors as (

    select * from {{ ref('int_factors__energy_co2_per_unit') }}

),

combustion as (

    select
        consumption.year,
        consumption.report_type,
        consumption.division_code,
        consumption.industry_code,
        consumption.energy_name,
        consumption.energy_use,
        consumption.quantity_canonical,
        consumption.canonical_unit,
        consumption.reporting_units,
        factors.factor_set,
        factors.ncv_gj_per_unit,
        factors.carbon_content_tc_per_tj,
        factors.oxidation_rate,
        factors.tco2_per_unit,
        {{ decimal_amount("consumption.quantity_canonical * factors.tco2_per_unit") }}
            as energy_tco2
    from consumption
    inner join factors on factors.energy_name = consumption.energy_name

)

select * from combustion
