-- The nowcast's backtest (published as emissions_nowcast_backtest): per held-out year × division
-- level × sector ('total': all sectors) × model (chosen, naive), over the divisions with a final
-- above zero: mape_pct, the mean absolute error of the year's nowcast against the final, in %;
-- bias_pct, the mean signed error (nowcast − final) / final, in %; coverage_pct, the share of
-- the finals inside the 80 % interval (int_emissions__nowcast_backtest_cells: residuals of the
-- other held-out years), null where no other year gives one.
with cells as (

    select * from {{ ref('int_emissions__nowcast_backtest_cells') }}
    where final_tco2 > 0

),

errors as (

    select *,
        (cast(nowcast_tco2 as double) - cast(final_tco2 as double))
            / cast(final_tco2 as double) as relative_error,
        -- final / nowcast within the interval's ratios (rounded to 6 decimals)
        case when low_ratio is not null then
            residual_ratio >= low_ratio and residual_ratio <= high_ratio
        end as is_covered
    from cells

),

methods as (

    select model, max(model_version) as model_version from {{ ref('ref_nowcast_methods') }}
    group by model

)

select
    cast(errors.year as integer) as year,
    cast(errors.division_level as {{ dbt.type_string() }}) as division_level,
    cast(errors.sector_code as {{ dbt.type_string() }}) as sector_code,
    cast(errors.model as {{ dbt.type_string() }}) as model,
    cast(methods.model_version as {{ dbt.type_string() }}) as model_version,
    cast(count(*) as integer) as n_divisions,
    cast(round(100 * avg(abs(errors.relative_error)), 3) as double) as mape_pct,
    cast(round(100 * avg(errors.relative_error), 3) as double) as bias_pct,
    -- the share in doubles: Spark averages a decimal literal (1.0) to 5 decimals, so 85/117
    -- became 0.72650 and rounded to 72.7 where DuckDB's 0.726496 gives 72.6
    cast(round(100 * avg(case when errors.is_covered then cast(1 as double)
        when errors.is_covered is not null then cast(0 as double) end), 1) as double) as coverage_pct
from errors
inner join methods on methods.model = errors.model
group by errors.year, errors.division_level, errors.sector_code, errors.model, methods.model_version
