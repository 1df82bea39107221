-- Which cities rose most last month, and how sure are we?
with span as (
    select cast(date_trunc('month', max(date) + interval 1 day) - interval 1 month as date)
        as month_start
    from emissions_nowcast_daily
),
months as (
    select daily.division_code,
        sum(daily.nowcast_tco2) filter (where daily.date >= span.month_start) as month_tco2,
        sum(daily.nowcast_low_tco2) filter (where daily.date >= span.month_start) as low_tco2,
        sum(daily.nowcast_high_tco2) filter (where daily.date >= span.month_start) as high_tco2,
        sum(daily.nowcast_tco2) filter (where daily.date < span.month_start) as before_tco2,
        bool_or(daily.is_suppressed) as has_suppressed_day
    from emissions_nowcast_daily as daily, span
    where daily.division_level = 'city' and daily.sector_code = 'total'
      and (daily.date between span.month_start and span.month_start + interval 1 month - interval 1 day
        or daily.date between span.month_start - interval 1 year
                          and span.month_start - interval 1 year + interval 1 month - interval 1 day)
    group by daily.division_code
)
select
    cities.division_name_zh as city,
    strftime(span.month_start, '%Y-%m') as month,
    round(months.month_tco2 / 1e4, 1) as month_10kt,
    round(100 * (months.month_tco2 / months.before_tco2 - 1), 1) as growth_pct,
    round(100 * (months.low_tco2 / months.before_tco2 - 1), 1) as growth_low_pct,
    round(100 * (months.high_tco2 / months.before_tco2 - 1), 1) as growth_high_pct,
    (select round(avg(mape_pct), 2) from emissions_nowcast_backtest
     where division_level = 'city' and sector_code = 'total' and model = 'chosen')
        as backtest_city_error_pct
from months
join (select distinct division_code, division_name_zh from emissions_by_city) as cities
    using (division_code)
cross join span
where not months.has_suppressed_day
order by growth_pct desc
limit 5
