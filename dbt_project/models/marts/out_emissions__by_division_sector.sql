-- CO2 of every division (province, city, county) × key sector × year, with what confidentiality
-- suppression will need: the enterprises behind each cell (reporting_units) and, for county
-- cells with a carbon-market entity, the largest entity's verified emissions as a share of the
-- cell (max_entity_share). Not published yet: suppression (is_suppressed, primary and
-- secondary) comes in a later issue; until then is_suppressed is false everywhere.
with cells as (

    select * from {{ ref('int_emissions__division_sector') }}

),

sectors as (

    select * from {{ ref('ref_sectors') }}

),

largest_entity as (

    select year, county_code, sector_code,
        max(verified_emissions_tco2) as max_entity_verified_tco2
    from {{ ref('int_ets__entity_emissions') }}
    group by year, county_code, sector_code

)

select
    cells.year,
    cells.report_type,
    cells.division_code,
    cells.division_level,
    cells.sector_code,
    cells.total_tco2,
    false as is_suppressed,
    cells.division_name_zh,
    sectors.sector_name_zh,
    cells.energy_tco2,
    cells.process_tco2,
    cells.reporting_units,
    largest_entity.max_entity_verified_tco2,
    largest_entity.max_entity_verified_tco2 / nullif(cells.total_tco2, 0) as max_entity_share
from cells
inner join sectors on sectors.sector_code = cells.sector_code
left join largest_entity
    on cells.division_level = 'county'
    and largest_entity.year = cells.year
    and largest_entity.county_code = cells.division_code
    and largest_entity.sector_code = cells.sector_code
order by cells.year, cells.division_level, cells.division_code, sectors.sort_order
