-- The province's and every city's CO2 by key sector and year under each emission factor set of
-- ref_energy_factors (provincial_guidelines, ipcc_2006, …), beside the set the accounts use
-- (var factor_set): how much the choice of factors moves the totals.
--   energy_tco2 (set) = Σ quantity × tco2_per_unit (set), each row rounded to the gram, over the
--   combustion uses of the year's best consumption (the same rows and rounding as
--   int_emissions__county_industry_fuel, whose totals the chosen set reproduces exactly);
--   total_tco2 (set) = energy_tco2 (set) + process_tco2 (process CO2 has one set of factors);
--   difference_tco2 = total_tco2 (set) − total_tco2 (chosen set); difference_pct of the chosen.
-- A fuel without a factor in a set adds nothing to that set: fuels_without_factor counts them.
with combustion as (

    select year, report_type, division_code, industry_code, energy_name,
        quantity_canonical
    from {{ ref('int_energy__annual_consumption') }}
    where energy_use in (select use from {{ ref('ref_energy_uses') }} where is_combustion)

),

factors as (

    select
        factor_set,
        energy_name,
        {{ tco2_per_unit('ncv_gj_per_unit', 'carbon_content_tc_per_tj', 'oxidation_rate') }}
            as tco2_per_unit
    from {{ ref('ref_energy_factors') }}

),

factor_sets as (

    select distinct factor_set from factors

),

fuels_burnt as (

    select distinct energy_name from combustion
    where energy_name in (select energy_name from factors)

),

fuels_without_factor as (

    select factor_sets.factor_set, count(*) filter (where factors.energy_name is null)
        as fuels_without_factor
    from factor_sets
    cross join fuels_burnt
    left join factors
        on factors.factor_set = factor_sets.factor_set
        and factors.energy_name = fuels_burnt.energy_name
    group by factor_sets.factor_set

),

industry_sectors as (

    select industry_code, sector_code from {{ ref('ref_industry_sectors') }}

),

counties as (

    select county.division_code as county_code, county.parent_code as city_code,
        city.parent_code as province_code
    from {{ ref('ref_divisions') }} as county
    inner join {{ ref('ref_divisions') }} as city on city.division_code = county.parent_code
    where county.division_level = 'county'

),

county_sector as (

    select
        combustion.year,
        combustion.division_code,
        industry_sectors.sector_code,
        factors.factor_set,
        sum({{ decimal_amount("combustion.quantity_canonical * factors.tco2_per_unit") }})
            as energy_tco2
    from combustion
    inner join factors on factors.energy_name = combustion.energy_name
    inner join industry_sectors on industry_sectors.industry_code = combustion.industry_code
    group by all

),

by_set as (

    {% for level in ['city', 'province'] %}
    {% if not loop.first %}union all{% endif %}
    select county_sector.year, counties.{{ level }}_code as division_code,
        '{{ level }}' as division_level, county_sector.sector_code, county_sector.factor_set,
        sum(county_sector.energy_tco2) as energy_tco2
    from county_sector
    inner join counties on counties.county_code = county_sector.division_code
    group by all
    {% endfor %}

),

accounts as (

    select year, division_code, division_level, sector_code, energy_tco2, process_tco2,
        total_tco2
    from {{ ref('int_emissions__division_sector') }}
    where division_level in ('city', 'province')

),

cells as (

    -- Every published cell under every set: a cell without combustion is 0 in each set.
    select accounts.*, factor_sets.factor_set
    from accounts
    cross join factor_sets

),

compared as (

    select
        cells.year,
        cells.division_code,
        cells.division_level,
        cells.sector_code,
        cells.factor_set,
        cells.factor_set = '{{ var("factor_set") }}' as is_chosen_set,
        coalesce(by_set.energy_tco2, 0)::decimal(38, 6) as energy_tco2,
        cells.process_tco2,
        (coalesce(by_set.energy_tco2, 0) + cells.process_tco2)::decimal(38, 6) as total_tco2,
        cells.total_tco2 as chosen_total_tco2
    from cells
    left join by_set
        on by_set.year = cells.year
        and by_set.division_code = cells.division_code
        and by_set.sector_code = cells.sector_code
        and by_set.factor_set = cells.factor_set

)

select
    compared.year,
    compared.division_code,
    compared.division_level,
    compared.sector_code,
    compared.factor_set,
    compared.is_chosen_set,
    compared.energy_tco2,
    compared.process_tco2,
    compared.total_tco2,
    compared.chosen_total_tco2,
    (compared.total_tco2 - compared.chosen_total_tco2)::decimal(38, 6) as difference_tco2,
    cast((compared.total_tco2 - compared.chosen_total_tco2) * 100.0 as double)
        / nullif(cast(compared.chosen_total_tco2 as double), 0) as difference_pct,
    fuels_without_factor.fuels_without_factor
from compared
inner join fuels_without_factor on fuels_without_factor.factor_set = compared.factor_set
order by compared.year, compared.division_level desc, compared.division_code,
    compared.sector_code, compared.factor_set
