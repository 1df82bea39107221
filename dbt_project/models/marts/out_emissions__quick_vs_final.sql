-- Quick-report (快报) estimates beside the annual finals (年报) by year and division (province,
-- city, county), with the revision once the final arrived:
--   revision_tco2 = final_total_tco2 − quick_total_tco2;
--   revision_pct  = revision_tco2 / quick_total_tco2 × 100.
-- Years without a final yet have null final columns. Quick estimates are never mixed into the
-- finals of another table; the published tables use the final where it exists.
with quick_counties as (

    select * from {{ ref('int_emissions__quick_estimates_county') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

counties as (

    select county.division_code as county_code, county.parent_code as city_code,
        city.parent_code as province_code
    from divisions as county
    inner join divisions as city on city.division_code = county.parent_code
    where county.division_level = 'county'

),

quick as (

    select year, division_code, 'county' as division_level, quick_basis, months_reported,
        energy_tco2, process_tco2, total_tco2
    from quick_counties

    {% for level in ['city', 'province'] %}
    union all

    select quick_counties.year, counties.{{ level }}_code, '{{ level }}',
        any_value(quick_counties.quick_basis), max(quick_counties.months_reported),
        sum(quick_counties.energy_tco2), sum(quick_counties.process_tco2),
        sum(quick_counties.total_tco2)
    from quick_counties
    inner join counties on counties.county_code = quick_counties.division_code
    group by quick_counties.year, counties.{{ level }}_code
    {% endfor %}

),

finals as (

    select year, division_code, sum(energy_tco2) as energy_tco2,
        sum(process_tco2) as process_tco2, sum(total_tco2) as total_tco2
    from {{ ref('int_emissions__division_sector') }}
    where report_type = 'annual'
    group by year, division_code

)

select
    quick.year,
    quick.division_code,
    quick.division_level,
    divisions.division_name_zh,
    quick.quick_basis,
    quick.months_reported,
    quick.energy_tco2::decimal(38, 6) as quick_energy_tco2,
    quick.process_tco2::decimal(38, 6) as quick_process_tco2,
    quick.total_tco2::decimal(38, 6) as quick_total_tco2,
    finals.energy_tco2::decimal(38, 6) as final_energy_tco2,
    finals.process_tco2::decimal(38, 6) as final_process_tco2,
    finals.total_tco2::decimal(38, 6) as final_total_tco2,
    finals.year is not null as has_final,
    (finals.total_tco2 - quick.total_tco2)::decimal(38, 6) as revision_tco2,
    cast((finals.total_tco2 - quick.total_tco2) * 100.0 as double)
        / nullif(cast(quick.total_tco2 as double), 0) as revision_pct
from quick
inner join divisions on divisions.division_code = quick.division_code
left join finals
    on finals.year = quick.year
    and finals.division_code = quick.division_code
order by quick.year, quick.division_level, quick.division_code
