-- Generation of the grid-dispatched plants per year × county × fuel type: generation, coal
-- burnt by coal-fired plants, electricity sent out of the province, and the days reported.
with generation as (

    select * from {{ ref('stg_power__generation_daily') }}
    where year between {{ var('first_year') }} and {{ var('last_year') }}

)

select
    year,
    division_code,
    fuel_type,
    fuel_type in ('{{ var("coal_fired_fuel_types") | join("', '") }}') as is_coal_fired,
    fuel_type in ('{{ var("non_fossil_fuel_types") | join("', '") }}') as is_non_fossil,
    count(distinct plant_id) as plants,
    count(distinct generation_date) as days_reported,
    sum(generation_mwh) as generation_mwh,
    sum(coalesce(coal_consumption_tce, 0)) as coal_consumption_tce,
    sum(exported_mwh) as exported_mwh
from generation
group by year, division_code, fuel_type
