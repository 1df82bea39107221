-- Verified emissions of each carbon-market entity and compliance year, placed by the entity's
-- latest record (stg_ets__entities): its county, city and key sector (its GB/T 4754 industry
-- mapped by ref_industry_sectors, the same mapping as the statistics).
with compliance as (

    select * from {{ ref('stg_ets__compliance') }}

),

entities as (

    select * from {{ ref('stg_ets__entities') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

industry_sectors as (

    select * from {{ ref('ref_industry_sectors') }}

)

select
    compliance.compliance_year as year,
    compliance.entity_id,
    entities.entity_name,
    entities.ets_sector,
    entities.industry_code,
    industry_sectors.sector_code,
    entities.division_code as county_code,
    county.parent_code as city_code,
    compliance.verified_emissions_tco2,
    compliance.allocated_allowances_tco2,
    compliance.surrendered_allowances_tco2,
    compliance.ccer_offset_tco2,
    compliance.verification_date
from compliance
inner join entities on entities.entity_id = compliance.entity_id
left join industry_sectors on industry_sectors.industry_code = entities.industry_code
left join divisions as county on county.division_code = entities.division_code
