-- CO2 of every division (province, city, county) × key sector × year, unsuppressed, with what
-- disclosure control needs (disclosure/, the Dagster asset disclosure_emissions_by_division_sector,
-- publishes it as emissions_by_division_sector with confidential cells hidden): the enterprises
-- behind each cell (reporting_units) and, where a carbon-market entity is in the cell, the
-- largest entity's verified emissions as a share of the cell (max_entity_share), at every level.
with cells as (

    select * from {{ ref('int_emissions__division_sector') }}

),

sectors as (

    select * from {{ ref('ref_sectors') }}

),

entities as (

    select
        entity_emissions.*,
        city.parent_code as province_code
    from {{ ref('int_ets__entity_emissions') }} as entity_emissions
    inner join {{ ref('ref_divisions') }} as city
        on city.division_code = entity_emissions.city_code

),

largest_entity as (

    -- The largest entity of each county, city and province cell, summed alike.
    {% for level in ['county', 'city', 'province'] %}
    {% if not loop.first %}union all{% endif %}
    select
        year,
        cast('{{ level }}' as {{ dbt.type_string() }}) as division_level,
        {{ level }}_code as division_code,
        sector_code,
        max(verified_emissions_tco2) as max_entity_verified_tco2
    from entities
    group by year, {{ level }}_code, sector_code
    {% endfor %}

)

select
    cells.year,
    cells.report_type,
    cells.division_code,
    cells.division_level,
    cells.sector_code,
    cells.total_tco2,
    cells.division_name_zh,
    sectors.sector_name_zh,
    cells.energy_tco2,
    cells.process_tco2,
    cells.reporting_units,
    cast(largest_entity.max_entity_verified_tco2 as double) as max_entity_verified_tco2,
    cast(largest_entity.max_entity_verified_tco2 as double)
        / nullif(cast(cells.total_tco2 as double), 0)
        as max_entity_share
from cells
inner join sectors on sectors.sector_code = cells.sector_code
left join largest_entity
    on largest_entity.year = cells.year
    and largest_entity.division_level = cells.division_level
    and largest_entity.division_code = cells.division_code
    and largest_entity.sector_code = cells.sector_code
order by cells.year, cells.division_level, cells.division_code, sectors.sort_order
