-- The year-end forecast of each division's emissions made at the end of every month with
-- monthly quick reports (int_emissions__quick_months), for every year, and its backtest where
-- the year's annual final came in (docs/methodology.md, Carbon budgets). One row per year ×
-- division (county, city, province) × month × model:
--   chosen (seasonal): F = YTD_y(M) × Q_{y-1} / YTD_{y-1}(M), this year's months so far scaled
--                      by last year's ratio of the whole year to the same months (like for like:
--                      quick against quick); needs last year's twelve monthly quicks;
--   naive (linear):    F = YTD_y(M) × 12 / M, on the same year × division × months.
-- The forecast is of the annual final: residual_ratio = final / F where the final exists. The
-- correction and the 80 % interval come from the residual ratios of the other years (leave one
-- year out, so a year's forecast never uses its own final) of the same month × model × level:
--   forecast = F × median, low = F × q10, high = F × q90;
-- pooled over every level where the level has fewer residuals than min_residuals
-- of the model's method (ref_budget_forecast_methods); null with no residual of another year.
with months as (

    select * from {{ ref('int_emissions__quick_months') }}

),

finals as (

    select year, division_code, total_tco2 as final_tco2
    from {{ ref('int_emissions__division_totals') }}
    where report_type = 'annual'

),

methods as (

    select * from {{ ref('ref_budget_forecast_methods') }}

),

whole_years as (

    select year, division_code, ytd_tco2 as year_tco2
    from months
    where month = 12 and months_reported = 12

),

-- The months of a year whose forecast can be made: last year has the same month and all twelve.
comparable as (

    select
        months.year,
        months.division_code,
        months.division_level,
        months.month,
        months.months_reported,
        months.ytd_tco2,
        whole_years.year_tco2 as previous_year_tco2,
        previous.ytd_tco2 as previous_ytd_tco2
    from months
    inner join months as previous
        on previous.year = months.year - 1
        and previous.division_code = months.division_code
        and previous.month = months.month
    inner join whole_years
        on whole_years.year = months.year - 1
        and whole_years.division_code = months.division_code
    where previous.ytd_tco2 > 0

),

raw_forecasts as (

    select
        year, division_code, division_level, month, 'chosen' as model, months_reported,
        ytd_tco2, previous_year_tco2, previous_ytd_tco2,
        cast(ytd_tco2 as double) * cast(previous_year_tco2 as double)
            / cast(previous_ytd_tco2 as double) as raw_forecast_tco2
    from comparable

    union all

    -- The baseline on the same forecasts.
    select
        year, division_code, division_level, month, 'naive' as model, months_reported,
        ytd_tco2, cast(null as decimal(38, 6)), cast(null as decimal(38, 6)),
        cast(ytd_tco2 as double) * 12 / month as raw_forecast_tco2
    from comparable

),

residuals as (

    select
        raw_forecasts.*,
        finals.final_tco2,
        case when raw_forecasts.raw_forecast_tco2 > 0
            then cast(finals.final_tco2 as double) / raw_forecasts.raw_forecast_tco2
        end as residual_ratio
    from raw_forecasts
    left join finals
        on finals.year = raw_forecasts.year
        and finals.division_code = raw_forecasts.division_code

),

-- Each residual under its own level and under 'all_levels' (the pool of every level).
pools as (

    select year, division_level as pool, month, model, residual_ratio from residuals
    where residual_ratio is not null
    union all
    select year, 'all_levels' as pool, month, model, residual_ratio from residuals
    where residual_ratio is not null

),

targets as (

    select distinct year, division_level, month, model from residuals

),

-- For every year, of each pool at each month and model: the other years' ratios.
quantiles as (

    select held_out.year, held_out.pool, held_out.month, held_out.model,
        count(*) as n_residuals,
        {{ quantile_linear('other.residual_ratio', 0.5) }} as median_ratio,
        {{ quantile_linear('other.residual_ratio', 0.1) }} as low_ratio,
        {{ quantile_linear('other.residual_ratio', 0.9) }} as high_ratio
    from (
        select year, division_level as pool, month, model from targets
        union
        select year, 'all_levels', month, model from targets
    ) as held_out
    inner join pools as other
        on other.pool = held_out.pool
        and other.month = held_out.month
        and other.model = held_out.model
        and other.year <> held_out.year
    group by held_out.year, held_out.pool, held_out.month, held_out.model

),

-- The level's own pool where it has min_residuals ratios, else every level's.
chosen_pools as (

    select targets.*,
        case when coalesce(own.n_residuals, 0) >= methods.min_residuals
            then targets.division_level else 'all_levels' end as pool
    from targets
    inner join methods on methods.model = targets.model
    left join quantiles as own
        on own.year = targets.year
        and own.pool = targets.division_level
        and own.month = targets.month
        and own.model = targets.model

),

corrections as (

    select
        chosen_pools.year,
        chosen_pools.division_level,
        chosen_pools.month,
        chosen_pools.model,
        chosen_pools.pool <> 'all_levels' as is_by_level,
        quantiles.n_residuals,
        quantiles.median_ratio,
        quantiles.low_ratio,
        quantiles.high_ratio
    from chosen_pools
    left join quantiles
        on quantiles.year = chosen_pools.year
        and quantiles.pool = chosen_pools.pool
        and quantiles.month = chosen_pools.month
        and quantiles.model = chosen_pools.model

)

select
    cast(residuals.year as integer) as year,
    cast(residuals.division_code as string) as division_code,
    cast(residuals.division_level as string) as division_level,
    cast(residuals.month as integer) as month,
    cast(residuals.model as string) as model,
    cast(methods.method as string) as method,
    cast(methods.model_version as string) as model_version,
    cast(last_day(make_date(residuals.year, residuals.month, 1)) as date) as as_of_date,
    cast(residuals.months_reported as integer) as months_reported,
    cast(residuals.ytd_tco2 as double) as ytd_tco2,
    cast(residuals.previous_year_tco2 as double) as previous_year_tco2,
    cast(residuals.previous_ytd_tco2 as double) as previous_ytd_tco2,
    cast(residuals.raw_forecast_tco2 as double) as raw_forecast_tco2,
    cast(residuals.final_tco2 as double) as final_tco2,
    cast(residuals.residual_ratio as double) as residual_ratio,
    cast(coalesce(corrections.n_residuals, 0) as bigint) as n_residuals,
    cast(case when corrections.median_ratio is null then null
        when corrections.is_by_level then 'level' else 'all_levels' end as string)
        as interval_basis,
    cast(corrections.median_ratio as double) as correction_ratio,
    cast(corrections.low_ratio as double) as low_ratio,
    cast(corrections.high_ratio as double) as high_ratio,
    cast(residuals.raw_forecast_tco2 * corrections.median_ratio as double) as forecast_tco2,
    cast(residuals.raw_forecast_tco2 * corrections.low_ratio as double) as forecast_low_tco2,
    cast(residuals.raw_forecast_tco2 * corrections.high_ratio as double) as forecast_high_tco2
from residuals
left join corrections
    on corrections.year = residuals.year
    and corrections.division_level = residuals.division_level
    and corrections.month = residuals.month
    and corrections.model = residuals.model
inner join methods on methods.model = residuals.model
