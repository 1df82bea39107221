-- The published division × sector table: hidden cells carry is_suppressed = true and no value.
with cells as (

    select * from {{ ref('out_emissions__by_division_sector') }}

),

disclosure as (

    select * from {{ ref('out_emissions__division_sector_disclosure') }}

)

select
    cells.year,
    cells.report_type,
    cells.division_code,
    cells.division_level,
    cells.sector_code,
    case when disclosure.is_suppressed then null else cells.total_tco2 end as total_tco2,
    disclosure.is_suppressed,
    cells.division_name_zh,
    cells.sector_name_zh
from cells
inner join disclosure
    on disclosure.year = cells.year
    and disclosure.division_code = cells.division_code
    and disclosure.sector_code = cells.sector_code
