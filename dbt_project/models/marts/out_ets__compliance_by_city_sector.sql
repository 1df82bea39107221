-- Carbon-market compliance by compliance year × city × carbon-market sector, plus the
-- province row of each sector: covered entities, verified emissions, allowances, surplus and
-- shortfall, how many entities surrendered enough, and the largest entity of each cell (the
-- input of the dominance rule). Unsuppressed: the Dagster asset
-- disclosure_ets_compliance_by_city_sector (disclosure/) publishes it as
-- ets_compliance_by_city_sector with the cells that would reveal an entity hidden (their
-- values null, their entity count kept: the registry of covered entities is public).

with entity_emissions as (

    -- Verified emissions of each entity and year, placed by its latest record.
    select * from {{ ref('int_ets__entity_emissions') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

entity_years as (

    select
        entity_emissions.year,
        entity_emissions.city_code,
        city.parent_code as province_code,
        entity_emissions.ets_sector,
        entity_emissions.sector_code,
        entity_emissions.entity_id,
        verified_emissions_tco2,
        allocated_allowances_tco2,
        surrendered_allowances_tco2,
        ccer_offset_tco2,
        greatest(allocated_allowances_tco2 - verified_emissions_tco2, 0) as surplus_tco2,
        greatest(verified_emissions_tco2 - allocated_allowances_tco2, 0) as shortfall_tco2,
        greatest(
            verified_emissions_tco2 - surrendered_allowances_tco2 - ccer_offset_tco2, 0
        ) as unsurrendered_tco2,
        surrendered_allowances_tco2 + ccer_offset_tco2 >= verified_emissions_tco2
            as is_compliant
    from entity_emissions
    -- An entity placed in no known county has no city cell (it is in no city's statistics).
    inner join divisions as city on city.division_code = entity_emissions.city_code
    where entity_emissions.year between {{ var('first_year') }} and {{ var('last_year') }}

),

-- The key sector of the plan (ref_sectors) that a carbon-market sector's entities belong to,
-- by their industries: the most common one in the province and year.
sector_of_ets_sector as (

    select year, ets_sector, mode(sector_code) as sector_code
    from entity_years
    group by year, ets_sector

),

level_cells as (

    -- The city cells and the province row of each sector, summed alike.
    {% for level in ['city', 'province'] %}
    {% if not loop.first %}union all{% endif %}
    select
        year,
        '{{ level }}' as division_level,
        {{ level }}_code as division_code,
        ets_sector,
        count(*) as entity_count,
        count(*) filter (where is_compliant) as compliant_entity_count,
        sum(verified_emissions_tco2) as verified_emissions_tco2,
        sum(allocated_allowances_tco2) as allocated_allowances_tco2,
        sum(surrendered_allowances_tco2) as surrendered_allowances_tco2,
        sum(ccer_offset_tco2) as ccer_offset_tco2,
        sum(surplus_tco2) as surplus_tco2,
        sum(shortfall_tco2) as shortfall_tco2,
        sum(unsurrendered_tco2) as unsurrendered_tco2,
        max(verified_emissions_tco2) as largest_entity_tco2
    from entity_years
    group by year, {{ level }}_code, ets_sector
    {% endfor %}

)

select
    cells.year,
    cells.division_level,
    cells.division_code,
    divisions.division_name_zh,
    cells.ets_sector,
    sector_of_ets_sector.sector_code,
    cells.entity_count,
    cells.compliant_entity_count,
    cast(cells.compliant_entity_count * 100.0 as double) / cast(cells.entity_count as double)
        as compliance_rate_pct,
    {%- for column in [
        'verified_emissions_tco2', 'allocated_allowances_tco2', 'surrendered_allowances_tco2',
        'ccer_offset_tco2', 'surplus_tco2', 'shortfall_tco2', 'unsurrendered_tco2',
        'largest_entity_tco2'
    ] %}
    cells.{{ column }},
    {%- endfor %}
    cast(cells.largest_entity_tco2 as double)
        / nullif(cast(cells.verified_emissions_tco2 as double), 0)
        as largest_entity_share
from level_cells as cells
inner join divisions on divisions.division_code = cells.division_code
left join sector_of_ets_sector
    on sector_of_ets_sector.year = cells.year
    and sector_of_ets_sector.ets_sector = cells.ets_sector
order by cells.year, cells.division_level desc, cells.division_code, cells.ets_sector
