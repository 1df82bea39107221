-- Industrial-process CO2 per county × product × month as delivered (quick and annual report
-- rows both kept): output (t) × the product's factor (ref_process_factors, tCO2/t), rounded to
-- the gram. The product's industry (ref_products.industry_code, GB/T 4754-2017) gives its key
-- sector through ref_industry_sectors.
with output as (

    select * from {{ ref('stg_stats__industrial_output') }}
    where year between {{ var('first_year') }} and {{ var('last_year') }}

),

product_industries as (

    select product_name, industry_code from {{ ref('ref_products') }}

),

factors as (

    select * from {{ ref('ref_process_factors') }}

),

industry_sectors as (

    select * from {{ ref('ref_industry_sectors') }}

)

select
    output.year,
    output.month,
    output.report_type,
    output.division_code,
    output.product_name,
    product_industries.industry_code,
    industry_sectors.sector_code,
    output.quantity_t,
    factors.value_tco2_per_t,
    {{ decimal_amount("output.quantity_t * factors.value_tco2_per_t") }} as process_tco2
from output
left join factors on factors.product_name = output.product_name
left join product_industries on product_industries.product_name = output.product_name
left join industry_sectors on industry_sectors.industry_code = product_industries.industry_code
