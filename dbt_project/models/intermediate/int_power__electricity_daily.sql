-- Metered electricity per day × county × industry × customer type (MWh), the accounts' daily
-- readings (stg_power__meter_daily, kWh) summed over the accounts of the cell, with the key
-- sector of the industry (ref_industry_sectors, the sector list of the annual accounts).
-- The day window vars nowcast_from / nowcast_to (both included; every day by default) select
-- the days built, so the model can become incremental by a day's partition.
with readings as (

    select * from {{ ref('stg_power__meter_daily') }}
    where true {{ day_window_filter('reading_date') }}

),

accounts as (

    select account_id, division_code, industry_code, customer_type
    from {{ ref('stg_power__accounts') }}

),

industry_sectors as (

    select industry_code, sector_code from {{ ref('ref_industry_sectors') }}

)

select
    readings.reading_date,
    cast(year(readings.reading_date) as integer) as year,
    accounts.division_code,
    accounts.industry_code,
    industry_sectors.sector_code,
    accounts.customer_type,
    count(*) as accounts,
    cast(sum({{ decimal_amount('readings.electricity_kwh') }}) / 1000 as decimal(38, 6))
        as electricity_mwh
from readings
inner join accounts on accounts.account_id = readings.account_id
inner join industry_sectors on industry_sectors.industry_code = accounts.industry_code
group by
    readings.reading_date, accounts.division_code, accounts.industry_code,
    industry_sectors.sector_code, accounts.customer_type
