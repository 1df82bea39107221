-- The quick-report (快报) estimate of each county's CO2 per year, kept apart from the finals:
-- energy CO2 of the quick consumption (int_energy__quick_consumption, combustion uses only, the
-- same factors as the finals) and process CO2 of the quick industrial-output rows.
with consumption as (

    select * from {{ ref('int_energy__quick_consumption') }}
    where energy_use in (select use from {{ ref('ref_energy_uses') }} where is_combustion)

),

factors as (

    select * from {{ ref('int_factors__energy_co2_per_unit') }}

),

energy as (

    select
        consumption.year,
        consumption.division_code,
        any_value(consumption.quick_basis) as quick_basis,
        max(consumption.months_reported) as months_reported,
        sum({{ decimal_amount("consumption.quantity_canonical * factors.tco2_per_unit") }})
            as energy_tco2
    from consumption
    inner join factors on factors.energy_name = consumption.energy_name
    group by consumption.year, consumption.division_code

),

process as (

    select year, division_code, sum(process_tco2) as process_tco2
    from {{ ref('int_process__county_product_month') }}
    where report_type = 'quick'
    group by year, division_code

)

select
    energy.year,
    energy.division_code,
    energy.quick_basis,
    energy.months_reported,
    energy.energy_tco2::decimal(38, 6) as energy_tco2,
    coalesce(process.process_tco2, 0)::decimal(38, 6) as process_tco2,
    (energy.energy_tco2 + coalesce(process.process_tco2, 0))::decimal(38, 6) as total_tco2
from energy
left join process
    on process.year = energy.year
    and process.division_code = energy.division_code
