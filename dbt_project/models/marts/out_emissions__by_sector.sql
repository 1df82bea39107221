-- CO2 of the province by key sector and year (published as emissions_by_sector): energy,
-- process and their territorial total, and the indirect emissions of the sector's electricity
-- and heat reported beside it.
with province as (

    select * from {{ ref('int_emissions__division_sector') }}
    where division_level = 'province'

),

sectors as (

    select * from {{ ref('ref_sectors') }}

)

select
    province.year,
    province.report_type,
    province.sector_code,
    sectors.sector_name_zh,
    province.energy_tco2,
    province.process_tco2,
    province.total_tco2,
    province.electricity_indirect_tco2,
    province.heat_indirect_tco2,
    sectors.sector_name_en,
    sectors.sort_order,
    province.electricity_mwh,
    province.heat_gj,
    cast(province.total_tco2 * 100.0 as double)
        / nullif(cast(sum(province.total_tco2) over (partition by province.year) as double), 0)
        as share_of_total_pct
from province
inner join sectors on sectors.sector_code = province.sector_code
order by province.year, sectors.sort_order
