-- Reconciliation: for every division and year, the key sectors sum exactly to the division's
-- total in emissions_by_city and emissions_by_county (and the province's sectors to the
-- province total). Returns the divisions that disagree (none expected).
-- Shown in Dagster as an asset check of out_emissions__by_division_sector.
{{ config(meta={'dagster': {'ref': {'name': 'out_emissions__by_division_sector'}}}) }}
with sectors as (

    select year, division_code, sum(total_tco2) as sectors_total_tco2
    from {{ ref('out_emissions__by_division_sector') }}
    group by year, division_code

),

totals as (

    select year, division_code, total_tco2 from {{ ref('out_emissions__by_city') }}
    union all
    select year, division_code, total_tco2 from {{ ref('out_emissions__by_county') }}
    union all
    select year, division_code, total_tco2 from {{ ref('int_emissions__division_totals') }}
    where division_level = 'province'

)

select totals.year, totals.division_code, totals.total_tco2, sectors.sectors_total_tco2
from totals
left join sectors
    on sectors.year = totals.year and sectors.division_code = totals.division_code
where totals.total_tco2 is distinct from sectors.sectors_total_tco2
