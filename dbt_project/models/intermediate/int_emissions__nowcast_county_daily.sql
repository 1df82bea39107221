-- The nowcast of every day × county × sector × model (chosen, naive): the day's activity
-- (metered electricity; power: the plants' fuel CO2 for chosen, their generation for naive) ×
-- the coefficients fitted for the day's year (int_emissions__nowcast_coefficients):
--   nowcast_tco2 = activity × base_ratio × exp(drift_per_year × (year − anchor_year))
--                  × exp(heating_weight × (is_heating_day − anchor_heating_share))
--                  × calibration_ratio (the county's check on its quick reports; 1 for naive),
-- rounded to the gram (decimal(38,6)), so every sum of counties is exact. A day of a year
-- without a fitted model (no earlier final year with full daily data) has no nowcast.
-- Days within the vars nowcast_from / nowcast_to (every day by default).
{{ daily_model_config('nowcast_date', 'daily_nowcast') }}
with electricity as (

    select reading_date as nowcast_date, year, division_code, sector_code,
        sum(electricity_mwh) as electricity_mwh
    from {{ ref('int_power__electricity_daily') }}
    where true {{ day_window_filter('reading_date') }}
    group by reading_date, year, division_code, sector_code

),

plants as (

    select generation_date as nowcast_date, year, division_code, 'power' as sector_code,
        sum(fuel_tco2) as plant_tco2,
        {{ exact_sum('generation_mwh') }} as plant_generation_mwh
    from {{ ref('int_power__plant_emissions_daily') }}
    where true {{ day_window_filter('generation_date') }}
    group by generation_date, year, division_code

),

days as (

    select nowcast_date, year from electricity
    union
    select nowcast_date, year from plants

),

coefficients as (

    select * from {{ ref('int_emissions__nowcast_coefficients') }}

),

heating_seasons as (

    select sector_code, heating_from, heating_to from {{ ref('ref_heating_seasons') }}

),

cells as (

    select
        days.nowcast_date,
        days.year,
        coefficients.division_code,
        coefficients.sector_code,
        coefficients.model,
        coefficients.method,
        coefficients.model_version,
        coefficients.base_ratio,
        coefficients.drift_per_year,
        coefficients.heating_weight,
        coefficients.anchor_heating_share,
        coefficients.calibration_ratio,
        days.year - coefficients.anchor_year as years_ahead,
        case when {{ is_heating_day('days.nowcast_date', 'heating_seasons') }} then 1 else 0 end
            as is_heating_day
    from days
    inner join coefficients on coefficients.target_year = days.year
    left join heating_seasons on heating_seasons.sector_code = coefficients.sector_code

),

activities as (

    select
        cells.*,
        coalesce(electricity.electricity_mwh, 0) as electricity_mwh,
        cast(case
            when cells.sector_code = 'power' and cells.model = 'chosen'
                then coalesce(plants.plant_tco2, 0)
            when cells.sector_code = 'power' then coalesce(plants.plant_generation_mwh, 0)
            else coalesce(electricity.electricity_mwh, 0)
        end as double) as activity
    from cells
    left join electricity
        on electricity.nowcast_date = cells.nowcast_date
        and electricity.division_code = cells.division_code
        and electricity.sector_code = cells.sector_code
    left join plants
        on plants.nowcast_date = cells.nowcast_date
        and plants.division_code = cells.division_code
        and plants.sector_code = cells.sector_code

)

select
    nowcast_date,
    year,
    division_code,
    sector_code,
    model,
    method,
    model_version,
    cast(electricity_mwh as decimal(38, 6)) as electricity_mwh,
    {{ decimal_amount('activity * base_ratio * exp(drift_per_year * years_ahead)'
        ~ ' * exp(heating_weight * (is_heating_day - anchor_heating_share))'
        ~ ' * calibration_ratio') }} as nowcast_tco2
from activities
