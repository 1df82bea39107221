{#
  Each county with itself, its city and the province: one row per (county_code, division_code,
  division_level) of the county's ancestors, itself included, so that county figures are summed
  to every level with one join. `divisions` names a relation (or CTE) with ref_divisions'
  columns.
#}
{% macro county_ancestors(divisions='divisions') -%}
    select county.division_code as county_code, county.division_code, 'county' as division_level
    from {{ divisions }} as county
    where county.division_level = 'county'
    union all
    select county.division_code, city.division_code, 'city'
    from {{ divisions }} as county
    inner join {{ divisions }} as city on city.division_code = county.parent_code
    where county.division_level = 'county'
    union all
    select county.division_code, province.division_code, 'province'
    from {{ divisions }} as county
    inner join {{ divisions }} as city on city.division_code = county.parent_code
    inner join {{ divisions }} as province on province.division_code = city.parent_code
    where county.division_level = 'county'
{%- endmacro %}
