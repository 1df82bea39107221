-- Daily metered electricity of each account, the latest vintage of each day: a re-delivered
-- day's file supersedes the earlier one (_is_superseded), whose rows are dropped here.
with source as (

    select * from {{ source('raw', 'power__meter_daily') }}
    where not _is_superseded

),

renamed as (

    select
        cast(date as date) as reading_date,
        account_id,
        cast(electricity_kwh as double) as electricity_kwh
    from source

)

select * from renamed
