-- Carbon-market compliance by compliance year × city × carbon-market sector, plus the
-- province row of each sector: covered entities, verified emissions, allowances, surplus and
-- shortfall, and how many entities surrendered enough. Published as
-- ets_compliance_by_city_sector; no row names or reveals a single entity:
--   primary suppression   a cell with fewer than `min_entities` entities, or in which one
--                         entity has more than `dominance_pct` % of the verified emissions
--                         (the data contract's disclosure rule);
--   secondary suppression the province row of a sector is published, so when a sector's
--                         suppressed city cells alone would still reveal an entity (fewer than
--                         `min_entities` entities together, or one of them dominant), the next
--                         smallest city cells are suppressed too, until they would not.
-- A suppressed cell keeps its entity count (the registry of covered entities is public) and
-- has every value null. The thresholds are int_reporting__disclosure_rule.

with entity_emissions as (

    -- Verified emissions of each entity and year, placed by its latest record.
    select * from {{ ref('int_ets__entity_emissions') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

disclosure_rule as (

    select * from {{ ref('int_reporting__disclosure_rule') }}

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

),

cells as (

    select
        all_cells.*,
        all_cells.entity_count < disclosure_rule.min_entities
            or all_cells.largest_entity_tco2
            > disclosure_rule.dominance_pct / 100 * all_cells.verified_emissions_tco2
            as is_primary_suppressed
    from level_cells as all_cells
    cross join disclosure_rule

),

-- What the primarily suppressed city cells of each year and sector add up to: if the province
-- row minus the published city cells would reveal an entity, more cells must be hidden.
suppressed_groups as (

    select
        year,
        ets_sector,
        sum(entity_count) as entities,
        sum(verified_emissions_tco2) as verified_tco2,
        max(largest_entity_tco2) as largest_entity_tco2
    from cells
    where division_level = 'city' and is_primary_suppressed
    group by year, ets_sector

),

province_suppressed as (

    select year, ets_sector, is_primary_suppressed
    from cells
    where division_level = 'province'

),

-- City cells not primarily suppressed, smallest first, with what the group would hold before
-- each of them is added.
candidates as (

    select
        cells.year,
        cells.division_code,
        cells.ets_sector,
        suppressed_groups.entities
            + coalesce(sum(cells.entity_count) over preceding_cells, 0) as entities_before,
        suppressed_groups.verified_tco2
            + coalesce(sum(cells.verified_emissions_tco2) over preceding_cells, 0)
            as verified_before,
        greatest(
            suppressed_groups.largest_entity_tco2,
            coalesce(max(cells.largest_entity_tco2) over preceding_cells, 0)
        ) as largest_before
    from cells
    inner join suppressed_groups
        on suppressed_groups.year = cells.year
        and suppressed_groups.ets_sector = cells.ets_sector
    inner join province_suppressed
        on province_suppressed.year = cells.year
        and province_suppressed.ets_sector = cells.ets_sector
    where cells.division_level = 'city'
        and not cells.is_primary_suppressed
        and not province_suppressed.is_primary_suppressed
    window preceding_cells as (
        partition by cells.year, cells.ets_sector
        order by cells.verified_emissions_tco2, cells.division_code
        rows between unbounded preceding and 1 preceding
    )

),

secondary as (

    select candidates.year, candidates.division_code, candidates.ets_sector
    from candidates
    cross join disclosure_rule
    where candidates.entities_before < disclosure_rule.min_entities
        or candidates.largest_before > disclosure_rule.dominance_pct / 100 * candidates.verified_before

),

flagged as (

    select
        cells.*,
        cells.is_primary_suppressed or secondary.division_code is not null as is_suppressed
    from cells
    left join secondary
        on secondary.year = cells.year
        and secondary.division_code = cells.division_code
        and secondary.ets_sector = cells.ets_sector

)

select
    flagged.year,
    flagged.division_level,
    flagged.division_code,
    divisions.division_name_zh,
    flagged.ets_sector,
    sector_of_ets_sector.sector_code,
    flagged.entity_count,
    case when not flagged.is_suppressed then flagged.compliant_entity_count end
        as compliant_entity_count,
    case when not flagged.is_suppressed
        then flagged.compliant_entity_count * 100.0 / flagged.entity_count
    end as compliance_rate_pct,
    {%- for column in [
        'verified_emissions_tco2', 'allocated_allowances_tco2', 'surrendered_allowances_tco2',
        'ccer_offset_tco2', 'surplus_tco2', 'shortfall_tco2', 'unsurrendered_tco2'
    ] %}
    case when not flagged.is_suppressed then flagged.{{ column }} end as {{ column }},
    {%- endfor %}
    flagged.is_suppressed
from flagged
inner join divisions on divisions.division_code = flagged.division_code
left join sector_of_ets_sector
    on sector_of_ets_sector.year = flagged.year
    and sector_of_ets_sector.ets_sector = flagged.ets_sector
order by flagged.year, flagged.division_level desc, flagged.division_code, flagged.ets_sector
