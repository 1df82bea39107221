-- The electricity–carbon model's coefficients for every year with daily data (target_year),
-- fitted on the years before it that have an annual final and daily data for every day:
-- per county × sector × model (ref_nowcast_methods: chosen, naive),
--   activity: power, chosen: the plants' fuel CO2; power, naive: the plants' generation (MWh);
--     every other sector: metered electricity (MWh);
--   base_ratio = final CO2 / activity of the last fitted year (anchor_year), or where the
--     county's activity or final is missing that year, the sector's ratio in the province;
--   drift_per_year (chosen only): the sector's within-county least-squares slope of
--     ln(final / activity) on the year over the fitted years, weighted by the county's mean
--     final CO2; heating_weight (chosen, sectors of ref_heating_seasons): the slope on the
--     year's heating-season share of electricity, fitted jointly with the drift;
--   anchor_heating_share: the heating-season share of the anchor year's electricity;
--   calibration_ratio (chosen only; 1 for naive), the same for every sector of a county: the
--     statistics' check on the electricity–carbon relation (the practice of the grid
--     companies' carbon monitoring: metered electricity gives the day, the statistics the
--     level), quick_ratio × revision_ratio:
--       quick_ratio = the county's quick-report CO2 of the target year so far
--         (int_emissions__quick_estimates_county, January to quick_months) / the model's CO2
--         of the same months (its sectors' activities of those months × the terms above);
--         before the year's first quick report, the year before's (1 without one);
--       revision_ratio = final / quick-report CO2 of the county in the last year before the
--         target year that has both (the quick reports' known shortfall against the finals);
--         1 without such a year.
-- The nowcast of a day of target_year: activity × base_ratio × exp(drift_per_year ×
-- (target_year − anchor_year)) × exp(heating_weight × (is_heating_day − anchor_heating_share))
-- × calibration_ratio.
with cells as (

    select * from {{ ref('int_emissions__nowcast_annual_cells') }}

),

methods as (

    select method, model, model_version, is_power, min_heating_share_sd from {{ ref('ref_nowcast_methods') }}

),

heating_sectors as (

    select sector_code from {{ ref('ref_heating_seasons') }}

),

target_years as (

    select distinct year as target_year from cells

),

-- Each county × sector × model's activity and final in every year, with the heating share.
activity as (

    select
        cells.year,
        cells.division_code,
        cells.sector_code,
        methods.model,
        methods.method,
        methods.model_version,
        cells.is_full_year,
        cast(case
            when cells.sector_code = 'power' and methods.model = 'chosen' then cells.plant_tco2
            when cells.sector_code = 'power' then cells.plant_generation_mwh
            else cells.electricity_mwh
        end as double) as activity,
        cast(cells.final_tco2 as double) as final_tco2,
        case when heating_sectors.sector_code is not null and cells.electricity_mwh > 0
            then cast(cells.heating_electricity_mwh as double) / cast(cells.electricity_mwh as double)
            else 0
        end as heating_share,
        heating_sectors.sector_code is not null as is_heating_sector
    from cells
    inner join methods
        on methods.is_power = (cells.sector_code = 'power')
        or methods.model = 'naive'
    left join heating_sectors on heating_sectors.sector_code = cells.sector_code

),

fitted_years as (

    select target_years.target_year, activity.*
    from target_years
    inner join activity
        on activity.year < target_years.target_year
        and activity.is_full_year
        and activity.final_tco2 is not null

),

anchors as (

    select target_year, max(year) as anchor_year, min(year) as fit_first_year,
        count(distinct year) as fit_years
    from fitted_years
    group by target_year

),

-- Cells with a ratio (activity and final positive) enter the slopes.
logs as (

    select fitted_years.*, ln(final_tco2 / activity) as log_ratio
    from fitted_years
    where activity > 0 and final_tco2 > 0

),

ratios as (

    select
        logs.*,
        avg(final_tco2) over (partition by target_year, division_code, sector_code, model)
            as weight,
        year - avg(year) over (partition by target_year, division_code, sector_code, model)
            as year_deviation,
        log_ratio - avg(log_ratio) over (
            partition by target_year, division_code, sector_code, model) as log_ratio_deviation,
        heating_share - avg(heating_share) over (
            partition by target_year, division_code, sector_code, model) as heating_deviation
    from logs

),

moments as (

    select
        target_year,
        sector_code,
        model,
        sum(weight * year_deviation * year_deviation) as s_tt,
        sum(weight * year_deviation * log_ratio_deviation) as s_ty,
        sum(weight * heating_deviation * heating_deviation) as s_hh,
        sum(weight * year_deviation * heating_deviation) as s_th,
        sum(weight * heating_deviation * log_ratio_deviation) as s_hy,
        sum(weight) as s_w
    from ratios
    group by target_year, sector_code, model

),

slopes as (

    select
        target_year,
        sector_code,
        model,
        case
            when model = 'naive' then 0
            when s_hh > s_w * coalesce(min_heating_share_sd, 0) * coalesce(min_heating_share_sd, 0)
                and s_hh > 0 and s_tt * s_hh - s_th * s_th > 1e-9 * s_tt * s_hh
                then (s_hh * s_ty - s_th * s_hy) / (s_tt * s_hh - s_th * s_th)
            when s_tt > 0 then s_ty / s_tt
            else 0
        end as drift_per_year,
        case
            when model = 'naive' then 0
            when s_hh > s_w * coalesce(min_heating_share_sd, 0) * coalesce(min_heating_share_sd, 0)
                and s_hh > 0 and s_tt * s_hh - s_th * s_th > 1e-9 * s_tt * s_hh
                then (s_tt * s_hy - s_th * s_ty) / (s_tt * s_hh - s_th * s_th)
            else 0
        end as heating_weight
    from moments
    left join (
        select model as method_model, max(min_heating_share_sd) as min_heating_share_sd
        from methods group by model
    ) as thresholds on thresholds.method_model = moments.model

),

anchor_cells as (

    select fitted_years.*
    from fitted_years
    inner join anchors
        on anchors.target_year = fitted_years.target_year
        and anchors.anchor_year = fitted_years.year

),

province_ratios as (

    select target_year, sector_code, model,
        sum(final_tco2) / nullif(sum(activity), 0) as province_ratio
    from anchor_cells
    where activity > 0
    group by target_year, sector_code, model

),

coefficients as (

    select
        anchor_cells.target_year,
        anchor_cells.division_code,
        anchor_cells.sector_code,
        anchor_cells.model,
        anchor_cells.method,
        anchor_cells.model_version,
        anchors.fit_first_year,
        anchors.anchor_year,
        cast(anchors.fit_years as integer) as fit_years,
        case
            when anchor_cells.activity > 0 then anchor_cells.final_tco2 / anchor_cells.activity
            else coalesce(province_ratios.province_ratio, 0)
        end as base_ratio,
        anchor_cells.activity > 0 as is_county_ratio,
        -- Slopes rounded to 12 decimals: both engines' last bits of the sums agree.
        round(coalesce(slopes.drift_per_year, 0), 12) as drift_per_year,
        round(case when anchor_cells.is_heating_sector then coalesce(slopes.heating_weight, 0) else 0 end, 12)
            as heating_weight,
        anchor_cells.heating_share as anchor_heating_share
    from anchor_cells
    inner join anchors on anchors.target_year = anchor_cells.target_year
    left join slopes
        on slopes.target_year = anchor_cells.target_year
        and slopes.sector_code = anchor_cells.sector_code
        and slopes.model = anchor_cells.model
    left join province_ratios
        on province_ratios.target_year = anchor_cells.target_year
        and province_ratios.sector_code = anchor_cells.sector_code
        and province_ratios.model = anchor_cells.model

),

-- The model's CO2 of each county in the months of the target year its quick reports cover.
modelled_quick_months as (

    select
        coefficients.target_year,
        coefficients.division_code,
        max(target.quick_months) as quick_months,
        sum(
            cast(case
                when coefficients.sector_code = 'power' then target.quick_plant_tco2
                else target.quick_electricity_mwh
            end as double)
            * coefficients.base_ratio
            * exp(coefficients.drift_per_year
                * (coefficients.target_year - coefficients.anchor_year))
            * case when cast(target.quick_electricity_mwh as double) > 0
                and coefficients.sector_code <> 'power'
                then (cast(target.quick_heating_electricity_mwh as double)
                        * exp(coefficients.heating_weight * (1 - coefficients.anchor_heating_share))
                    + cast(target.quick_electricity_mwh - target.quick_heating_electricity_mwh as double)
                        * exp(-coefficients.heating_weight * coefficients.anchor_heating_share))
                    / cast(target.quick_electricity_mwh as double)
                else 1
            end
        ) as modelled_tco2
    from coefficients
    inner join cells as target
        on target.year = coefficients.target_year
        and target.division_code = coefficients.division_code
        and target.sector_code = coefficients.sector_code
    where coefficients.model = 'chosen'
    group by coefficients.target_year, coefficients.division_code

),

quick as (

    select year, division_code, months_reported, cast(total_tco2 as double) as quick_tco2
    from {{ ref('int_emissions__quick_estimates_county') }}

),

county_finals as (

    select year, division_code, sum(cast(final_tco2 as double)) as final_tco2
    from cells
    where final_tco2 is not null
    group by year, division_code

),

-- Final / quick of each county in every year that has both (a whole year of quick reports).
revisions as (

    select quick.year, quick.division_code, county_finals.final_tco2 / quick.quick_tco2 as ratio
    from quick
    inner join county_finals
        on county_finals.year = quick.year
        and county_finals.division_code = quick.division_code
    where quick.months_reported = 12 and quick.quick_tco2 > 0 and county_finals.final_tco2 > 0

),

latest_revisions as (

    select target_years.target_year, revisions.division_code,
        max(revisions.year) as revision_year
    from target_years
    inner join revisions on revisions.year < target_years.target_year
    group by target_years.target_year, revisions.division_code

),

-- The quick reports' check of the model in a year that has them.
own_quick_ratios as (

    select
        modelled_quick_months.target_year,
        modelled_quick_months.division_code,
        quick.quick_tco2 / modelled_quick_months.modelled_tco2 as ratio
    from modelled_quick_months
    inner join quick
        on quick.year = modelled_quick_months.target_year
        and quick.division_code = modelled_quick_months.division_code
    where modelled_quick_months.quick_months > 0
        and modelled_quick_months.modelled_tco2 > 0 and quick.quick_tco2 > 0

),

calibrations as (

    -- Before the year's first quick report, the check of the year before.
    select
        modelled_quick_months.target_year,
        modelled_quick_months.division_code,
        coalesce(own.ratio, previous.ratio, 1) as quick_ratio,
        coalesce(revisions.ratio, 1) as revision_ratio
    from modelled_quick_months
    left join own_quick_ratios as own
        on own.target_year = modelled_quick_months.target_year
        and own.division_code = modelled_quick_months.division_code
    left join own_quick_ratios as previous
        on previous.target_year = modelled_quick_months.target_year - 1
        and previous.division_code = modelled_quick_months.division_code
    left join latest_revisions
        on latest_revisions.target_year = modelled_quick_months.target_year
        and latest_revisions.division_code = modelled_quick_months.division_code
    left join revisions
        on revisions.year = latest_revisions.revision_year
        and revisions.division_code = latest_revisions.division_code

),

rounded as (

    -- Rounded to 12 decimals: both engines' last bits of the ratios agree.
    select
        coefficients.*,
        round(case when coefficients.model = 'chosen'
            then coalesce(calibrations.quick_ratio, 1) else 1 end, 12) as quick_ratio,
        round(case when coefficients.model = 'chosen'
            then coalesce(calibrations.revision_ratio, 1) else 1 end, 12) as revision_ratio
    from coefficients
    left join calibrations
        on calibrations.target_year = coefficients.target_year
        and calibrations.division_code = coefficients.division_code

)

select rounded.*, round(quick_ratio * revision_ratio, 12) as calibration_ratio
from rounded
