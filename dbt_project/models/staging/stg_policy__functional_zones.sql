-- The main functional zone (主体功能区) of every county and whether it is a resource-based area,
-- typed, from the latest zones_YYYY-MM-DD.csv of the policy/functional_zones feed: a later file
-- replaces the whole table (contract), so a county missing from it has no zone any more. The
-- earlier files stay in raw as vintages. A re-delivery of the same dated file replaces it (the
-- ingest marks the earlier delivery's rows `_is_superseded`).
with source as (

    select * from {{ source('raw', 'policy__functional_zones') }}
    where not _is_superseded

),

latest as (

    select *
    from source
    where _file_period = (select max(_file_period) from source)

),

renamed as (

    select
        division_code,
        functional_zone,
        is_resource_based = 'true' as is_resource_based,
        cast(_file_period as date) as delivered_on,
        cast(_line_number as bigint) as line_number,
        _sha256 as delivery_sha256
    from latest

)

select * from renamed
