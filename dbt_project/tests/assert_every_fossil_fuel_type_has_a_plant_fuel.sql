-- Every fuel type of the dispatch feed that is not non-fossil (ref_fuel_types) has its fuel in
-- ref_power_plant_fuels: without one, its plants' CO2 would be counted as 0.
-- Shown in Dagster as an asset check of ref_power_plant_fuels.
{{ config(meta={'dagster': {'ref': {'name': 'ref_power_plant_fuels'}}}) }}
select fuel_types.fuel_type
from {{ ref('ref_fuel_types') }} as fuel_types
left join {{ ref('ref_power_plant_fuels') }} as plant_fuels
    on plant_fuels.fuel_type = fuel_types.fuel_type
where not fuel_types.is_non_fossil and plant_fuels.fuel_type is null
