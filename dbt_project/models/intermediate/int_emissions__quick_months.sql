-- The monthly quick reports as CO2 per year × month × division (county, city, province), the
-- key sectors of int_emissions__quick_months_by_sector summed, with the year to date (January to
-- the month) and the months from January to it with a report (months_to_date: the year to date
-- is whole where it equals the month). What the carbon budgets' use to date and their year-end
-- forecast rest on (out_dual_control__budgets, int_dual_control__budget_forecasts).
with by_sector as (

    select * from {{ ref('int_emissions__quick_months_by_sector') }}

),

months as (

    select
        year,
        month,
        division_code,
        division_level,
        max(months_reported) as months_reported,
        sum(energy_tco2) as energy_tco2,
        sum(process_tco2) as process_tco2,
        sum(total_tco2) as total_tco2
    from by_sector
    group by year, month, division_code, division_level

)

select
    cast(year as integer) as year,
    cast(month as integer) as month,
    cast(division_code as string) as division_code,
    cast(division_level as string) as division_level,
    cast(months_reported as integer) as months_reported,
    cast(energy_tco2 as decimal(38, 6)) as energy_tco2,
    cast(process_tco2 as decimal(38, 6)) as process_tco2,
    cast(total_tco2 as decimal(38, 6)) as total_tco2,
    cast(sum(total_tco2) over (
        partition by year, division_code
        order by month
        rows between unbounded preceding and current row
    ) as decimal(38, 6)) as ytd_tco2,
    cast(count(*) over (
        partition by year, division_code
        order by month
        rows between unbounded preceding and current row
    ) as integer) as months_to_date
from months
