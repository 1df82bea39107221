-- Reconciliation: for every year and sector, the counties of each city sum exactly to the city,
-- and the cities sum exactly to the province, for every amount of the division × sector table.
-- Returns the cells that disagree (none expected).
-- Shown in Dagster as an asset check of out_emissions__by_division_sector.
{{ config(meta={'dagster': {'ref': {'name': 'out_emissions__by_division_sector'}}}) }}
{%- set amounts = ['energy_tco2', 'process_tco2', 'total_tco2', 'electricity_indirect_tco2'] %}
with cells as (

    select * from {{ ref('out_emissions__by_division_sector') }}

),

indirect as (

    select year, division_code, sector_code, electricity_indirect_tco2
    from {{ ref('int_emissions__division_sector') }}

),

cells_with_indirect as (

    select cells.*, indirect.electricity_indirect_tco2
    from cells
    inner join indirect using (year, division_code, sector_code)

),

divisions as (

    select division_code, parent_code from {{ ref('ref_divisions') }}

),

children_sums as (

    select
        cells_with_indirect.year,
        divisions.parent_code as division_code,
        cells_with_indirect.sector_code,
        {% for amount in amounts %}
        sum(cells_with_indirect.{{ amount }}) as {{ amount }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from cells_with_indirect
    inner join divisions on divisions.division_code = cells_with_indirect.division_code
    where cells_with_indirect.division_level in ('county', 'city')
    group by 1, 2, 3

)

select
    parents.year,
    parents.division_code,
    parents.division_level,
    parents.sector_code,
    {% for amount in amounts %}
    parents.{{ amount }} as parent_{{ amount }},
    children_sums.{{ amount }} as children_{{ amount }}{% if not loop.last %},{% endif %}
    {% endfor %}
from cells_with_indirect as parents
left join children_sums
    on children_sums.year = parents.year
    and children_sums.division_code = parents.division_code
    and children_sums.sector_code = parents.sector_code
where parents.division_level in ('city', 'province')
  and (
    {% for amount in amounts %}
    parents.{{ amount }} is distinct from children_sums.{{ amount }}{% if not loop.last %} or{% endif %}
    {% endfor %}
  )
