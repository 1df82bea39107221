-- The backtest of the carbon budgets' year-end forecast (published as
-- carbon_budget_forecast_backtest): for every year with an annual final × the month the
-- forecast was made at × division level × model, the forecasts made at the end of that month
-- (int_dual_control__budget_forecasts, each corrected and bounded by the other years' residuals:
-- leave one year out) against the final:
--   mape_pct     = mean |forecast − final| / final × 100 (raw_mape_pct: before the correction);
--   bias_pct     = mean (forecast − final) / final × 100;
--   coverage_pct = the share of finals inside the 80 % interval [low, high] × 100;
--   width_pct    = mean (high − low) / forecast × 100.
-- Rounded (coverage to 0.1, the others to 0.001 points), so both engines publish the same.
with forecasts as (

    select * from {{ ref('int_dual_control__budget_forecasts') }}
    where final_tco2 > 0 and forecast_tco2 is not null

),

scored as (

    select
        year,
        month,
        division_level,
        model,
        method,
        model_version,
        count(*) as n_divisions,
        max(n_residuals) as n_residuals,
        max(interval_basis) as interval_basis,
        avg(abs(forecast_tco2 - final_tco2) / final_tco2) * 100 as mape_pct,
        avg(abs(raw_forecast_tco2 - final_tco2) / final_tco2) * 100 as raw_mape_pct,
        avg((forecast_tco2 - final_tco2) / final_tco2) * 100 as bias_pct,
        avg(case when final_tco2 between forecast_low_tco2 and forecast_high_tco2
            then cast(1 as double) else cast(0 as double) end) * 100 as coverage_pct,
        avg((forecast_high_tco2 - forecast_low_tco2) / forecast_tco2) * 100 as width_pct
    from forecasts
    group by year, month, division_level, model, method, model_version

)

select
    cast(year as integer) as year,
    cast(month as integer) as month,
    cast(division_level as string) as division_level,
    cast(model as string) as model,
    cast(method as string) as method,
    cast(model_version as string) as model_version,
    cast(n_divisions as bigint) as n_divisions,
    cast(n_residuals as bigint) as n_residuals,
    cast(interval_basis as string) as interval_basis,
    cast({{ round_to_digits('mape_pct', 3) }} as double) as mape_pct,
    cast({{ round_to_digits('raw_mape_pct', 3) }} as double) as raw_mape_pct,
    cast({{ round_to_digits('bias_pct', 3) }} as double) as bias_pct,
    cast({{ round_to_digits('coverage_pct', 1) }} as double) as coverage_pct,
    cast({{ round_to_digits('width_pct', 3) }} as double) as width_pct
from scored
