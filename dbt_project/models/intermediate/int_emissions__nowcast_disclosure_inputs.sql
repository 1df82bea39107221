-- What disclosure control needs of each day × county × sector of the nowcast: the units behind
-- the cell (the accounts metered, households' aggregated accounts not counted, null where only
-- households; power: the dispatched plants) and the largest unit's share of the cell's
-- activity (an account's share of the electricity; a plant's of the fuel CO2).
with readings as (

    select
        meter.reading_date as nowcast_date,
        accounts.division_code,
        industry_sectors.sector_code,
        meter.electricity_kwh
    from {{ ref('stg_power__meter_daily') }} as meter
    inner join {{ ref('stg_power__accounts') }} as accounts
        on accounts.account_id = meter.account_id
    inner join {{ ref('ref_industry_sectors') }} as industry_sectors
        on industry_sectors.industry_code = accounts.industry_code
    where true {{ day_window_filter('meter.reading_date') }}

),

electricity as (

    select nowcast_date, division_code, sector_code,
        count(*) as reporting_units,
        max(electricity_kwh) as max_unit_activity,
        {{ exact_sum('electricity_kwh') }} as activity
    from readings
    group by nowcast_date, division_code, sector_code

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
