-- The grid company's account registry as last delivered. Accounts come as whole registries
-- (accounts_YYYY-MM-DD.csv, the date in _file_period): an account's row of the latest registry
-- that lists it wins. An account missing from the latest registry keeps its last record
-- (is_in_latest_registry false), so readings of the days it was open keep their county.
with source as (

    select * from {{ source('raw', 'power__accounts') }}
    where not _is_superseded

),

latest_registry as (

    select max(_file_period) as registry_period from source

),

latest as (

    select *
    from source
    qualify row_number() over (
        partition by account_id order by _file_period desc, _line_number desc
    ) = 1

),

renamed as (

    select
        latest.account_id,
        latest.division_code,
        latest.industry_code,
        latest.customer_type,
        nullif(trim(latest.entity_id), '') as entity_id,
        cast(latest.opened_on as date) as opened_on,
        cast(nullif(trim(latest.closed_on), '') as date) as closed_on,
        cast(latest._file_period as date) as registry_date,
        latest._file_period = latest_registry.registry_period as is_in_latest_registry
    from latest
    cross join latest_registry

)

select * from renamed
