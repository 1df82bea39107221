-- Generation of the grid-dispatched plants per year × county × fuel type: generation, coal
-- burnt by coal-fired plants, electricity sent out of the province, and the days reported.
-- Whether a fuel type is coal-fired or non-fossil comes from ref_fuel_types.
with generation as (

    select * from {{ ref('stg_power__generation_daily') }}
    where year between {{ var('first_year') }} and {{ var('last_year') }}

),

fuel_types as (

    select fuel_type, is_coal_fired, is_non_fossil from {{ ref('ref_fuel_types') }}

),

by_fuel as (

    select
        year,
        division_code,
        fuel_type,
        count(distinct plant_id) as plants,
        count(distinct generation_date) as days_reported,
        {{ exact_sum('generation_mwh') }} as generation_mwh,
        {{ exact_sum('coalesce(coal_consumption_tce, 0)') }} as coal_consumption_tce,
        {{ exact_sum('exported_mwh') }} as exported_mwh
    from generation
    group by year, division_code, fuel_type

)

select
    by_fuel.year,
    by_fuel.division_code,
    by_fuel.fuel_type,
    -- A fuel type missing from the seed is neither (the staging test on fuel_type fails).
    coalesce(fuel_types.is_coal_fired, false) as is_coal_fired,
    coalesce(fuel_types.is_non_fossil, false) as is_non_fossil,
    by_fuel.plants,
    by_fuel.days_reported,
    by_fuel.generation_mwh,
    by_fuel.coal_consumption_tce,
    by_fuel.exported_mwh
from by_fuel
left join fuel_types on fuel_types.fuel_type = by_fuel.fuel_type
