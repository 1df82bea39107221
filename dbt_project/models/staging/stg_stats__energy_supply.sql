-- Energy supply rows (production, flows across the provincial border, stock change) of the
-- current deliveries, typed, quantities in the variety's canonical unit (ref_units). Of a
-- year's reports the one of the highest precedence (ref_report_types: the annual final) is used.
with source as (

    select * from {{ source('raw', 'stats__energy_supply') }}
    where not _is_superseded

),

ranked as (

    select
        source.*,
        dense_rank() over (
            partition by source.period order by report_types.precedence nulls last
        ) as report_rank
    from source
    left join {{ ref('ref_report_types') }} as report_types
        on report_types.report_type = source.report_type

),

current_report as (

    select * from ranked where report_rank = 1

),

units as (

    select * from {{ ref('ref_units') }}

),

renamed as (

    select
        cast(current_report.period as integer) as year,
        current_report.report_type,
        current_report.division_code,
        current_report.energy_name,
        current_report.item as supply_item,
        cast(current_report.quantity as double) as quantity_reported,
        current_report.unit as unit_reported,
        units.canonical_unit,
        cast(current_report.quantity as double) * units.to_canonical_multiplier
            as quantity_canonical,
        current_report._sha256 as delivery_sha256,
        current_report._line_number as delivery_line_number
    from current_report
    left join units on units.unit = current_report.unit

)

select * from renamed
