-- Reconciliation across the published tables, exactly, per year: the province's sectors
-- (emissions_by_sector), its cities (emissions_by_city), its counties (emissions_by_county)
-- and the province × sector cells of emissions_by_division_sector give the same energy,
-- process, total and indirect CO2. Returns the years that disagree (none expected).
-- Shown in Dagster as an asset check of out_emissions__by_sector.
{{ config(meta={'dagster': {'ref': {'name': 'out_emissions__by_sector'}}}) }}
{%- set amounts = ['energy_tco2', 'process_tco2', 'total_tco2', 'electricity_indirect_tco2'] %}
{%- set tables = {
    'by_sector': ref('out_emissions__by_sector'),
    'by_city': ref('out_emissions__by_city'),
    'by_county': ref('out_emissions__by_county'),
} %}
with
{% for name, relation in tables.items() %}
{{ name }} as (

    select year,
        {% for amount in amounts %}sum({{ amount }}) as {{ amount }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ relation }}
    group by year

),
{% endfor %}

province_cells as (

    select year, sum(total_tco2) as total_tco2
    from {{ ref('out_emissions__by_division_sector') }}
    where division_level = 'province'
    group by year

)

select
    by_sector.year,
    {% for amount in amounts %}
    by_sector.{{ amount }} as by_sector_{{ amount }},
    by_city.{{ amount }} as by_city_{{ amount }},
    by_county.{{ amount }} as by_county_{{ amount }},
    {% endfor %}
    province_cells.total_tco2 as province_cells_total_tco2
from by_sector
full outer join by_city using (year)
full outer join by_county using (year)
full outer join province_cells using (year)
where by_sector.total_tco2 is distinct from province_cells.total_tco2
    {% for amount in amounts %}
    or by_sector.{{ amount }} is distinct from by_city.{{ amount }}
    or by_sector.{{ amount }} is distinct from by_county.{{ amount }}
    {% endfor %}
