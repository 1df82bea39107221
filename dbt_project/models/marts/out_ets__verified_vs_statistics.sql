-- For the carbon-market sectors (ref_sectors.is_ets_sector): the verified emissions of the
-- covered entities of a city (ets/compliance joined to the entities' latest record) beside the
-- statistics-based total of that city and sector, and the gap:
--   gap_tco2             = statistics_total_tco2 − verified_tco2 (emissions outside the market,
--                          or differences of method: verified reports use measured factors);
--   verified_share_pct   = verified_tco2 / statistics_total_tco2 × 100.
with entities as (

    select * from {{ ref('int_ets__entity_emissions') }}

),

ets_sectors as (

    select * from {{ ref('ref_sectors') }} where is_ets_sector

),

verified as (

    select year, city_code, sector_code,
        count(distinct entity_id) as covered_entities,
        sum(verified_emissions_tco2) as verified_tco2
    from entities
    group by year, city_code, sector_code

),

statistics as (

    select * from {{ ref('int_emissions__division_sector') }}
    where division_level = 'city'

)

select
    verified.year,
    verified.city_code as division_code,
    statistics.division_name_zh,
    verified.sector_code,
    ets_sectors.sector_name_zh,
    statistics.report_type,
    verified.covered_entities,
    verified.verified_tco2,
    statistics.energy_tco2 as statistics_energy_tco2,
    statistics.process_tco2 as statistics_process_tco2,
    statistics.total_tco2 as statistics_total_tco2,
    statistics.total_tco2 - verified.verified_tco2 as gap_tco2,
    cast(verified.verified_tco2 * 100.0 as double) / nullif(cast(statistics.total_tco2 as double), 0)
        as verified_share_pct
from verified
inner join ets_sectors on ets_sectors.sector_code = verified.sector_code
left join statistics
    on statistics.year = verified.year
    and statistics.division_code = verified.city_code
    and statistics.sector_code = verified.sector_code
order by verified.year, verified.city_code, verified.sector_code
