-- Early warnings (预警), published as emission_warnings: every indicator of every period ×
-- division (the province and every city) × sector ('all': every sector), judged against the
-- thresholds of ref_warning_thresholds (the one place they are declared): the level is the
-- highest whose threshold the value exceeds (黄 < 橙 < 红), 绿 below the yellow one. Like for
-- like, never quick against final (docs/methodology.md, Early warning):
--   ytd_growth_pct         monthly, by sector: CO2 of the monthly quick reports from January to
--                          M against the same months of the year before, (YTD_y / YTD_{y−1} − 1)
--                          × 100 (int_emissions__quick_months_by_sector; both years' months all
--                          reported); drivers: the children with the largest increases (a
--                          city's counties, the province's cities; for 'all' the sectors);
--   budget_pace_pct        monthly, 'all': the year-end forecast made at M (model chosen,
--                          int_dual_control__budget_forecasts) against the current version's
--                          budget of the year (out_dual_control__budgets), (F / B − 1) × 100;
--   intensity_path_gap_pct yearly, 'all': the year's intensity against the even-pace path
--                          (out_dual_control__progress), (I / path − 1) × 100.
-- reason_zh says it in one Chinese sentence; is_latest marks each indicator's latest period.
with thresholds as (

    select * from {{ ref('ref_warning_thresholds') }}

),

divisions as (

    select division_code, division_level, division_name_zh, parent_code
    from {{ ref('ref_divisions') }}

),

sectors as (

    select sector_code, sector_name_zh from {{ ref('ref_sectors') }}

),

cells as (

    select year, month, division_code, division_level, sector_code, total_tco2
    from {{ ref('int_emissions__quick_months_by_sector') }}

    union all

    select year, month, division_code, division_level, 'all' as sector_code, total_tco2
    from {{ ref('int_emissions__quick_months') }}

),

year_to_date as (

    select
        cells.*,
        sum(total_tco2) over (
            partition by year, division_code, sector_code
            order by month rows between unbounded preceding and current row
        ) as ytd_tco2,
        count(*) over (
            partition by year, division_code, sector_code
            order by month rows between unbounded preceding and current row
        ) as months_to_date
    from cells

),

-- The same months of two consecutive years, both with every month from January reported.
compared as (

    select
        current_year.year,
        current_year.month,
        current_year.division_code,
        current_year.division_level,
        current_year.sector_code,
        cast(current_year.ytd_tco2 as double) as ytd_tco2,
        cast(previous_year.ytd_tco2 as double) as previous_ytd_tco2
    from year_to_date as current_year
    inner join year_to_date as previous_year
        on previous_year.year = current_year.year - 1
        and previous_year.month = current_year.month
        and previous_year.division_code = current_year.division_code
        and previous_year.sector_code = current_year.sector_code
    where current_year.months_to_date = current_year.month
        and previous_year.months_to_date = previous_year.month

),

growth as (

    select
        compared.*,
        (ytd_tco2 / previous_ytd_tco2 - 1) * 100 as value
    from compared
    where division_level in ('city', 'province') and previous_ytd_tco2 > 0

),

-- What drives a rise: a city's counties or the province's cities in the same sector, the
-- division's sectors for its total; the three largest increases, largest first.
driver_candidates as (

    select growth.year, growth.month, growth.division_code, growth.sector_code,
        children.division_name_zh as driver_name,
        child.ytd_tco2 - child.previous_ytd_tco2 as increase
    from growth
    inner join divisions as children on children.parent_code = growth.division_code
    inner join compared as child
        on child.year = growth.year
        and child.month = growth.month
        and child.division_code = children.division_code
        and child.sector_code = growth.sector_code
    where growth.sector_code <> 'all'

    union all

    select growth.year, growth.month, growth.division_code, growth.sector_code,
        sectors.sector_name_zh as driver_name,
        child.ytd_tco2 - child.previous_ytd_tco2 as increase
    from growth
    inner join compared as child
        on child.year = growth.year
        and child.month = growth.month
        and child.division_code = growth.division_code
        and child.sector_code <> 'all'
    inner join sectors on sectors.sector_code = child.sector_code
    where growth.sector_code = 'all'

),

ranked_drivers as (

    select
        driver_candidates.*,
        row_number() over (
            partition by year, month, division_code, sector_code
            order by increase desc, driver_name
        ) as driver_rank
    from driver_candidates
    where increase > 0

),

drivers as (

    select
        year,
        month,
        division_code,
        sector_code,
        concat_ws('、',
            max(case when driver_rank = 1 then driver_name end),
            max(case when driver_rank = 2 then driver_name end),
            max(case when driver_rank = 3 then driver_name end)) as drivers_zh
    from ranked_drivers
    where driver_rank <= 3
    group by year, month, division_code, sector_code

),

budgets as (

    select year, division_code, budget_tco2
    from {{ ref('out_dual_control__budgets') }}
    where is_current and budget_tco2 > 0

),

pace as (

    select
        forecasts.year,
        forecasts.month,
        forecasts.division_code,
        (forecasts.forecast_tco2 / budgets.budget_tco2 - 1) * 100 as value
    from {{ ref('int_dual_control__budget_forecasts') }} as forecasts
    inner join budgets
        on budgets.year = forecasts.year and budgets.division_code = forecasts.division_code
    where forecasts.model = 'chosen' and forecasts.forecast_tco2 is not null
        and forecasts.division_level in ('city', 'province')

),

gap as (

    select year, division_code,
        (intensity_tco2_per_10k_yuan / target_path_intensity - 1) * 100 as value
    from {{ ref('out_dual_control__progress') }}
    where division_level in ('city', 'province') and year > base_year
        and intensity_tco2_per_10k_yuan is not null and target_path_intensity > 0

),

unrounded as (

    select growth.year, growth.month, growth.division_code, growth.sector_code,
        'ytd_growth_pct' as indicator, growth.value, drivers.drivers_zh
    from growth
    left join drivers
        on drivers.year = growth.year
        and drivers.month = growth.month
        and drivers.division_code = growth.division_code
        and drivers.sector_code = growth.sector_code

    union all

    select year, month, division_code, 'all', 'budget_pace_pct', value,
        cast(null as string)
    from pace

    union all

    select year, cast(null as integer), division_code, 'all', 'intensity_path_gap_pct', value,
        cast(null as string)
    from gap

),

-- Values rounded to 10^-6 points before they are judged: both engines publish the same, and
-- the level follows from the published value.
indicators as (

    select year, month, division_code, sector_code, indicator,
        {{ round_to_digits('value', 6) }} as value, drivers_zh
    from unrounded

),

severities as (

    select
        indicators.year,
        indicators.month,
        indicators.division_code,
        indicators.sector_code,
        indicators.indicator,
        max(case when indicators.value > thresholds.min_value then thresholds.severity else 0 end)
            as severity
    from indicators
    inner join thresholds on thresholds.indicator = indicators.indicator
    group by indicators.year, indicators.month, indicators.division_code,
        indicators.sector_code, indicators.indicator

),

judged as (

    select
        indicators.*,
        coalesce(reached.level, '绿') as level,
        coalesce(reached.level_zh, '绿色') as level_zh,
        -- the threshold passed, or for 绿 the yellow one not reached
        coalesce(reached.min_value, lowest.min_value) as threshold,
        lowest.indicator_name_zh
    from indicators
    inner join severities
        on severities.year = indicators.year
        and coalesce(severities.month, 0) = coalesce(indicators.month, 0)
        and severities.division_code = indicators.division_code
        and severities.sector_code = indicators.sector_code
        and severities.indicator = indicators.indicator
    left join thresholds as reached
        on reached.indicator = indicators.indicator and reached.severity = severities.severity
    inner join thresholds as lowest
        on lowest.indicator = indicators.indicator and lowest.severity = 1

),

worded as (

    select
        judged.*,
        divisions.division_name_zh,
        divisions.division_level,
        case when judged.sector_code = 'all' then ''
            else concat(sectors.sector_name_zh, '行业') end as sector_words,
        cast(round(abs(judged.value), 2) as string) as magnitude,
        case when judged.level = '绿'
            then concat('，未超过黄色预警阈值', cast(judged.threshold as string), '%')
            else concat('，超过', judged.level_zh, '预警阈值', cast(judged.threshold as string), '%')
        end as threshold_words
    from judged
    inner join divisions on divisions.division_code = judged.division_code
    left join sectors on sectors.sector_code = judged.sector_code

)

select
    cast(case when month is null then cast(year as string)
        else concat(cast(year as string), '-', lpad(cast(month as string), 2, '0')) end as string)
        as period,
    cast(case when month is null then 'year' else 'month' end as string) as period_type,
    cast(year as integer) as year,
    cast(month as integer) as month,
    cast(division_code as string) as division_code,
    cast(division_name_zh as string) as division_name_zh,
    cast(division_level as string) as division_level,
    cast(sector_code as string) as sector_code,
    cast(indicator as string) as indicator,
    cast(value as double) as value,
    cast(level as string) as level,
    cast(threshold as double) as threshold,
    cast(case indicator
        when 'ytd_growth_pct' then concat(
            division_name_zh, sector_words, cast(year as string), '年1–', cast(month as string),
            '月排放同比', case when value >= 0 then '增长' else '下降' end, magnitude,
            '%（月度快报，同期对比）', threshold_words,
            case when level <> '绿' and drivers_zh is not null
                then concat('；增量主要来自', drivers_zh) else '' end)
        when 'budget_pace_pct' then concat(
            division_name_zh, cast(year as string), '年按1–', cast(month as string),
            '月快报预测全年排放', case when value > 0 then '超出' else '低于' end,
            '年度碳排放预算', magnitude, '%', threshold_words)
        else concat(
            division_name_zh, cast(year as string), '年碳排放强度',
            case when value > 0 then '高于' else '低于' end, '目标路径', magnitude, '%',
            threshold_words)
    end as string) as reason_zh,
    cast(drivers_zh as string) as drivers_zh,
    cast(year * 100 + coalesce(month, 12) = max(year * 100 + coalesce(month, 12)) over (
        partition by indicator, division_code, sector_code) as boolean) as is_latest
from worded
