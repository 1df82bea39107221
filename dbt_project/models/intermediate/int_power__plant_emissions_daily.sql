-- CO2 of each dispatched plant and day from its fuel (the power sector's daily CO2):
--   tCO2 = activity × GJ per activity unit × CO2 per GJ of the fuel burnt,
-- the activity and GJ per unit from ref_power_plant_fuels (coal: coal_consumption_tce × 29.3076
-- GJ/tce; gas and coal-bed methane: generation_mwh × the heat rate), the CO2 per GJ from the
-- factor set (int_factors__energy_co2_per_unit: tco2_per_unit / ncv_gj_per_unit). A fuel type
-- without a row (the non-fossil ones, ref_fuel_types.is_non_fossil) emits none; a fossil one
-- without a row fails the seed's test. Days within nowcast_from / nowcast_to.
{{ daily_model_config('generation_date', 'daily_inputs') }}
with generation as (

    select * from {{ ref('stg_power__generation_daily') }}
    where true {{ day_window_filter('generation_date') }}

),

plant_fuels as (

    select
        plant_fuels.fuel_type,
        plant_fuels.activity_column,
        plant_fuels.gj_per_activity_unit,
        factors.tco2_per_unit / factors.ncv_gj_per_unit as tco2_per_gj
    from {{ ref('ref_power_plant_fuels') }} as plant_fuels
    inner join {{ ref('int_factors__energy_co2_per_unit') }} as factors
        on factors.energy_name = plant_fuels.energy_name

),

activity as (

    select
        generation.generation_date,
        generation.year,
        generation.division_code,
        generation.plant_id,
        generation.fuel_type,
        generation.generation_mwh,
        generation.coal_consumption_tce,
        case plant_fuels.activity_column
            when 'coal_consumption_tce' then coalesce(generation.coal_consumption_tce, 0)
            when 'generation_mwh' then generation.generation_mwh
        end as activity,
        plant_fuels.gj_per_activity_unit,
        plant_fuels.tco2_per_gj
    from generation
    left join plant_fuels on plant_fuels.fuel_type = generation.fuel_type

)

select
    generation_date,
    year,
    division_code,
    plant_id,
    fuel_type,
    generation_mwh,
    coal_consumption_tce,
    {{ decimal_amount('coalesce(activity * gj_per_activity_unit, 0)') }} as fuel_gj,
    {{ decimal_amount('coalesce(activity * gj_per_activity_unit * tco2_per_gj, 0)') }} as fuel_tco2
from activity
