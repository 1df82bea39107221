-- What disclosure control needs of each day × county × sector of the nowcast: the units behind
-- the cell (the accounts metered, a county's household aggregate one of them; power: the
-- dispatched plants) and the largest unit's share of the cell's
-- activity (an account's share of the electricity; a plant's of the fuel CO2).
{{ daily_model_config('nowcast_date', 'daily_nowcast') }}
with electricity as (

    -- From the daily cells of the meters (int_power__electricity_daily), never the readings
    -- again: the accounts of a day × county × sector, its largest account's kWh, its kWh.
    select reading_date as nowcast_date, division_code, sector_code,
        sum(accounts) as reporting_units,
        max(max_account_kwh) as max_unit_activity,
        cast(sum(electricity_mwh) as double) * 1000 as activity
    from {{ ref('int_power__electricity_daily') }}
    where true {{ day_window_filter('reading_date') }}
    group by reading_date, division_code, sector_code

),

plants as (

    select generation_date as nowcast_date, division_code, 'power' as sector_code,
        count(*) as reporting_units,
        cast(max(fuel_tco2) as double) as max_unit_activity,
        cast(sum(fuel_tco2) as double) as activity
    from {{ ref('int_power__plant_emissions_daily') }}
    where true {{ day_window_filter('generation_date') }}
    group by generation_date, division_code

)

select nowcast_date, division_code, sector_code, reporting_units, max_unit_activity, activity,
    max_unit_activity / nullif(activity, 0) as max_unit_share
from electricity
where sector_code <> 'power'
union all
select nowcast_date, division_code, sector_code, reporting_units, max_unit_activity, activity,
    max_unit_activity / nullif(activity, 0) as max_unit_share
from plants
