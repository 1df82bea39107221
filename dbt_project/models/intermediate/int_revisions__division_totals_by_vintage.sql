-- The total of every division in each vintage of a re-delivered annual report
-- (int_revisions__annual_report_pairs), one row per delivered file × division × measure:
--   energy_tco2   (stats/energy_consumption) energy CO2 of the vintage as the accounts compute
--                 it: quantity in canonical units × CO2 per unit of the chosen factor set
--                 (int_factors__energy_co2_per_unit) over the combustion uses
--                 (ref_energy_uses.is_combustion), each row rounded to the gram as in
--                 int_emissions__county_industry_fuel; counties as delivered, their city and
--                 the province as the sums of their counties;
--   gdp_100m_yuan (stats/gdp) GDP at current prices, 亿元, as delivered for each division.
-- Only the rows of those files are read: with no re-delivery the model is empty.
with pairs as (

    select * from {{ ref('int_revisions__annual_report_pairs') }}

),

vintages as (

    select previous_sha256 as delivery_sha256 from pairs
    union
    select revised_sha256 as delivery_sha256 from pairs

),

combustion_uses as (

    select use as energy_use from {{ ref('ref_energy_uses') }} where is_combustion

),

factors as (

    select * from {{ ref('int_factors__energy_co2_per_unit') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

county_energy as (

    select
        consumption.delivery_sha256,
        consumption.division_code,
        sum({{ decimal_amount("consumption.quantity_canonical * factors.tco2_per_unit") }})
            as total
    from {{ ref('stg_stats__energy_consumption_vintages') }} as consumption
    inner join factors on factors.energy_name = consumption.energy_name
    where consumption.delivery_sha256 in (select delivery_sha256 from vintages)
      and consumption.energy_use in (select energy_use from combustion_uses)
    group by consumption.delivery_sha256, consumption.division_code

),

city_energy as (

    select county_energy.delivery_sha256, divisions.parent_code as division_code,
        sum(county_energy.total) as total
    from county_energy
    inner join divisions on divisions.division_code = county_energy.division_code
    group by county_energy.delivery_sha256, divisions.parent_code

),

province_energy as (

    select city_energy.delivery_sha256, divisions.parent_code as division_code,
        sum(city_energy.total) as total
    from city_energy
    inner join divisions on divisions.division_code = city_energy.division_code
    group by city_energy.delivery_sha256, divisions.parent_code

),

energy as (

    select delivery_sha256, division_code, total from county_energy
    union all
    select delivery_sha256, division_code, total from city_energy
    union all
    select delivery_sha256, division_code, total from province_energy

),

gdp as (

    select delivery_sha256, division_code, sum(gdp_100m_yuan) as total
    from {{ ref('stg_stats__gdp_vintages') }}
    where delivery_sha256 in (select delivery_sha256 from vintages)
    group by delivery_sha256, division_code

)

select
    delivery_sha256,
    division_code,
    'energy_tco2' as measure,
    'energy CO2' as measure_name,
    'tCO2' as unit,
    cast(total as decimal(38, 6)) as total
from energy
union all
select
    delivery_sha256,
    division_code,
    'gdp_100m_yuan' as measure,
    'GDP at current prices' as measure_name,
    '亿元' as unit,
    cast(total as decimal(38, 6)) as total
from gdp
