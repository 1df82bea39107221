-- Decided targets of the policy/targets feed, typed: one row per decision file (targets_YYYY-MM-DD.csv,
-- the date of the decision) × plan period × division × indicator. Every decision stays, as a
-- vintage: which one is current for a plan period, division and indicator is decided in
-- int_dual_control__target_vintages. A re-delivery of the same dated file replaces it (the
-- ingest marks the earlier delivery's rows `_is_superseded`), so only its latest delivery is here.
with source as (

    select * from {{ source('raw', 'policy__targets') }}
    where not _is_superseded

),

renamed as (

    select
        plan_period,
        division_code,
        indicator,
        cast(base_year as integer) as base_year,
        cast(target_year as integer) as target_year,
        cast(value as double) as value,
        binding,
        document,
        cast(decided_on as date) as decided_on,
        cast(_file_period as date) as delivered_on,
        cast(_line_number as bigint) as line_number,
        _sha256 as delivery_sha256
    from source

)

select * from renamed
