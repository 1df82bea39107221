-- The grid emission factor applied to each year's electricity consumption, and where it came
-- from. Candidates are the factors/grid feed's releases (latest delivery wins) and, for a year,
-- region and type the feed has not delivered, the ref_grid_factors seed. A year without a
-- release takes the nearest earlier published year; years before the first release take the
-- first one. Only the factor type used for indirect emissions counts
-- (ref_grid_factor_types.is_used_for_indirect); within the chosen year the region is the most
-- preferred one that was published (ref_grid_regions.preference: the province, then the
-- regional grid, then the national average).
with years as (

    select year from {{ integer_series(var('first_year'), var('last_year'), 'year') }} as series

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

regions as (

    select region, preference from {{ ref('ref_grid_regions') }}

),

factor_types as (

    select factor_type from {{ ref('ref_grid_factor_types') }} where is_used_for_indirect

),

candidates as (

    select releases.*, regions.preference
    from (select * from delivered union all select * from seeded) as releases
    inner join regions on regions.region = releases.region
    inner join factor_types on factor_types.factor_type = releases.factor_type

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
