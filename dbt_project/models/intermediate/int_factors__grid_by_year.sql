-- The grid emission factor applied to each year's electricity consumption, and where it came
-- from. Candidates are the factors/grid feed's releases (latest delivery wins) and, for a year,
-- region and type the feed has not delivered, the ref_grid_factors seed. A year without a
-- release takes the nearest earlier published year; years before the first release take the
-- first one. Within the chosen year the region is the first of var grid_factor_regions that was
-- published (the province, then the regional grid, then the national average).
with years as (

    select cast(range as integer) as year
    from range({{ var('first_year') }}, {{ var('last_year') }} + 1)

),

delivered as (

    select year, region, factor_type, value_tco2_per_mwh, source, published_on,
        'factors/grid feed' as factor_origin
    from {{ ref('stg_factors__grid') }}

),

seeded as (

    select seed.year, seed.region, seed.factor_type, seed.value_tco2_per_mwh, seed.source,
        seed.published_on, 'ref_grid_factors seed' as factor_origin
    from {{ ref('ref_grid_factors') }} as seed
    where not exists (
        select 1 from delivered
        where delivered.year = seed.year
          and delivered.region = seed.region
          and delivered.factor_type = seed.factor_type
    )

),

region_preference as (

    {% for region in var('grid_factor_regions') %}
    select '{{ region }}' as region, {{ loop.index }} as preference
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

candidates as (

    select releases.*, region_preference.preference
    from (select * from delivered union all select * from seeded) as releases
    inner join region_preference on region_preference.region = releases.region
    where releases.factor_type = '{{ var("grid_factor_type") }}'

),

published_years as (

    select distinct year from candidates

),

year_chosen as (

    select
        years.year,
        coalesce(
            (select max(published_years.year) from published_years
             where published_years.year <= years.year),
            (select min(published_years.year) from published_years)
        ) as factor_year
    from years

),

chosen as (

    select
        year_chosen.year,
        candidates.value_tco2_per_mwh,
        year_chosen.factor_year,
        candidates.region as factor_region,
        candidates.factor_type,
        candidates.factor_origin,
        candidates.source as factor_source,
        candidates.published_on as factor_published_on
    from year_chosen
    inner join candidates on candidates.year = year_chosen.factor_year
    qualify row_number() over (
        partition by year_chosen.year order by candidates.preference
    ) = 1

)

select
    *,
    factor_year <> year as is_fallback_year
from chosen
