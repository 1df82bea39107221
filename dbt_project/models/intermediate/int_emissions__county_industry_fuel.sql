-- Energy CO2 per county × industry × fuel × use × year:
--   tCO2 = quantity × NCV (GJ/unit) × carbon content (tC/TJ) / 1000 × oxidation rate × 44/12.
-- Only combustion counts: 终端消费 and the inputs to 火力发电 and 供热. Inputs to 炼焦, 炼油, 制气,
-- 洗选煤 and 原料用途 are transformations or non-energy use: their products are counted where
-- they burn, so counting the inputs too would count the carbon twice.
with consumption as (

    select * from {{ ref('int_energy__annual_consumption') }}

),

factors as (

    select * from {{ ref('ref_energy_factors') }}
    where factor_set = '{{ var("factor_set") }}'

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
        factors.ncv_gj_per_unit,
        factors.carbon_content_tc_per_tj,
        factors.oxidation_rate,
        consumption.quantity_canonical * factors.ncv_gj_per_unit
            * factors.carbon_content_tc_per_tj / 1000.0
            * factors.oxidation_rate * 44.0 / 12.0 as energy_tco2
    from consumption
    inner join factors on factors.energy_name = consumption.energy_name
    where consumption.energy_use in ('终端消费', '火力发电', '供热')

)

select * from combustion
