-- Industrial-process CO2 per county × product × year. Output is delivered monthly; a year's
-- annual-report rows (年报) supersede its quick rows (快报), so a year is summed from its annual
-- rows where it has any, otherwise from its quick rows. `report_type` says which.
with months as (

    select * from {{ ref('int_process__county_product_month') }}

),

years_with_finals as (

    select distinct year from months where report_type = 'annual'

),

chosen as (

    select
        months.*,
        case when years_with_finals.year is not null then 'annual' else 'quick' end
            as chosen_report_type
    from months
    left join years_with_finals on years_with_finals.year = months.year

)

select
    year,
    report_type,
    division_code,
    product_name,
    industry_code,
    sector_code,
    value_tco2_per_t,
    count(distinct month) as months_reported,
    sum(quantity_t) as quantity_t,
    sum(process_tco2)::decimal(38, 6) as process_tco2
from chosen
where report_type = chosen_report_type
group by year, report_type, division_code, product_name, industry_code, sector_code,
    value_tco2_per_t
