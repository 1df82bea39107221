-- Reconciliation of energy_by_division: for every year, the counties of each city sum exactly
-- to the city and the cities to the province, for energy at both electricity equivalents and
-- the non-fossil part. Returns the divisions that disagree (none expected).
-- Shown in Dagster as an asset check of out_energy__by_division.
{{ config(meta={'dagster': {'ref': {'name': 'out_energy__by_division'}}}) }}
{%- set amounts = ['energy_tce', 'energy_tce_generation_equivalent', 'non_fossil_tce', 'electricity_mwh'] %}
with energy as (

    select * from {{ ref('out_energy__by_division') }}

),

divisions as (

    select division_code, parent_code from {{ ref('ref_divisions') }}

),

children_sums as (

    select energy.year, divisions.parent_code as division_code,
        {% for amount in amounts %}sum(energy.{{ amount }}) as {{ amount }}{% if not loop.last %}, {% endif %}{% endfor %}
    from energy
    inner join divisions on divisions.division_code = energy.division_code
    where energy.division_level in ('county', 'city')
    group by 1, 2

)

select parents.year, parents.division_code, parents.division_level,
    {% for amount in amounts %}
    parents.{{ amount }} as parent_{{ amount }}, children_sums.{{ amount }} as children_{{ amount }}{% if not loop.last %},{% endif %}
    {% endfor %}
from energy as parents
left join children_sums
    on children_sums.year = parents.year and children_sums.division_code = parents.division_code
where parents.division_level in ('city', 'province')
  and (
    {% for amount in amounts %}
    parents.{{ amount }} is distinct from children_sums.{{ amount }}{% if not loop.last %} or{% endif %}
    {% endfor %}
  )
