-- Carbon budgets (碳排放预算), published as carbon_budgets: one row per year of a five-year plan ×
-- division with a CO2-intensity target of that plan × budget version (docs/methodology.md,
-- Carbon budgets).
--   budget(Y)    = I_B × path(Y) × GDP_v(Y) × 10^4      (tCO2; GDP in 亿元, I_B in tCO2/万元)
--   path(Y)      = (1 − r/100)^((Y − B)/(T − B))          (macro intensity_path_factor)
--   GDP_v(Y)     = GDP(B) × Π_{k=B+1..Y} (1 + g_v(k)/100) (the projection of vintage v)
--   plan budget  = Σ budget(Y) over the plan's years (null if a year's is)
-- I_B and GDP(B): the plan's base year (int_dual_control__plan_bases). g_v(k): the growth rate of
-- year k in projection vintage v (ref_gdp_growth_projections: the latest row published on or
-- before v for year k, else the rate of the latest earlier year of the plan; the province's
-- rows for a division without its own). budget_at_outturn_gdp_tco2 is the same path on the
-- GDP delivered for the year (null until it is): the budget the year's actual growth allows.
-- A version is a target vintage (int_dual_control__target_vintages: every decision and seed
-- row kept, or the platform's allocation proposal) × a GDP-projection vintage; is_current marks
-- the current target with the latest projection. Every version is kept.
-- Used to date: the year's annual final where it came in (as_of_date 31 December), else the
-- monthly quick reports from January to the latest month (int_emissions__quick_months, as_of_date
-- that month's last day). Forecast: the year-end forecast made at that month
-- (int_dual_control__budget_forecasts, model chosen), with its 80 % interval; the final itself
-- once it is in. Sinks are never netted off. Amounts are rounded to 10^-6 (t, 亿元), intensities
-- to 10^-12, so both engines publish the same.
with vintages as (

    select * from {{ ref('int_dual_control__target_vintages') }}
    where indicator = 'co2_intensity_reduction_pct'

),

proposals as (

    select * from {{ ref('int_dual_control__allocation_proposals') }}
    where allocation_status = 'proposed'

),

targets as (

    select
        plan_period,
        division_code,
        base_year,
        target_year,
        value as reduction_pct,
        source as target_source,
        decided_on,
        is_current as is_current_target,
        case when origin = 'feed'
            then concat('targets_', cast(delivered_on as string), '.csv line ',
                cast(line_number as string))
            else concat('ref_plan_targets ', coalesce(cast(decided_on as string), source))
        end as target_vintage
    from vintages

    union all

    select
        proposals.plan_period,
        proposals.division_code,
        proposals.base_year,
        proposals.target_year,
        proposals.value,
        'proposed',
        cast(null as date),
        true,
        'allocation proposal'
    from proposals
    where not exists (
        select 1 from vintages
        where vintages.is_current
            and vintages.plan_period = proposals.plan_period
            and vintages.division_code = proposals.division_code
    )

),

plans as (

    select plan_period, first_year, last_year from {{ ref('ref_plan_periods') }}

),

divisions as (

    select division_code, division_level, division_name_zh from {{ ref('ref_divisions') }}

),

projections as (

    select * from {{ ref('ref_gdp_growth_projections') }}

),

-- The projection rows of each division with a target: its own, else the province's.
division_projections as (

    select target_divisions.division_code, projections.year, projections.real_growth_pct,
        projections.published_on
    from (select distinct division_code from targets) as target_divisions
    inner join projections on projections.division_code = target_divisions.division_code

    union all

    select target_divisions.division_code, projections.year, projections.real_growth_pct,
        projections.published_on
    from (select distinct division_code from targets) as target_divisions
    cross join (select division_code from divisions where division_level = 'province')
        as province
    inner join projections on projections.division_code = province.division_code
    where target_divisions.division_code not in (select division_code from projections)

),

-- The projection vintages of a plan × division: the dates its plan years' rates were published.
gdp_vintages as (

    select distinct
        plans.plan_period,
        division_projections.division_code,
        division_projections.published_on as gdp_vintage
    from plans
    inner join division_projections
        on division_projections.year between plans.first_year and plans.last_year

),

plan_years as (

    select plans.plan_period, plans.first_year, plans.first_year + offsets.offset_years as year
    from plans
    cross join {{ integer_series(0, 9, 'offset_years') }} as offsets
    where plans.first_year + offsets.offset_years <= plans.last_year

),

candidate_rates as (

    select
        gdp_vintages.plan_period,
        gdp_vintages.division_code,
        gdp_vintages.gdp_vintage,
        plan_years.year,
        division_projections.real_growth_pct,
        row_number() over (
            partition by gdp_vintages.plan_period, gdp_vintages.division_code,
                gdp_vintages.gdp_vintage, plan_years.year
            order by division_projections.year desc, division_projections.published_on desc
        ) as rate_rank
    from gdp_vintages
    inner join plan_years on plan_years.plan_period = gdp_vintages.plan_period
    left join division_projections
        on division_projections.division_code = gdp_vintages.division_code
        and division_projections.published_on <= gdp_vintages.gdp_vintage
        and division_projections.year <= plan_years.year
        and division_projections.year >= plan_years.first_year

),

rates as (

    select * from candidate_rates where rate_rank = 1

),

bases as (

    select * from {{ ref('int_dual_control__plan_bases') }}

),

projected as (

    select
        rates.*,
        bases.base_intensity,
        bases.base_gdp_100m_yuan,
        case when sum(case when rates.real_growth_pct is null then 1 else 0 end) over (
                partition by rates.plan_period, rates.division_code, rates.gdp_vintage
                order by rates.year rows between unbounded preceding and current row) = 0
            then bases.base_gdp_100m_yuan * {{ window_product(
                '1 + rates.real_growth_pct / 100.0',
                'partition by rates.plan_period, rates.division_code, rates.gdp_vintage '
                ~ 'order by rates.year rows between unbounded preceding and current row') }}
        end as projected_gdp_100m_yuan
    from rates
    inner join bases
        on bases.plan_period = rates.plan_period
        and bases.division_code = rates.division_code

),

outturn_gdp as (

    select * from {{ ref('int_economy__gdp_constant_prices_by_plan') }}

),

latest_vintages as (

    select plan_period, division_code, max(gdp_vintage) as latest_gdp_vintage
    from gdp_vintages
    group by plan_period, division_code

),

budgets as (

    select
        targets.*,
        projected.year,
        projected.gdp_vintage,
        projected.real_growth_pct,
        projected.base_intensity,
        projected.projected_gdp_100m_yuan,
        outturn_gdp.gdp_100m_yuan_constant as outturn_gdp_100m_yuan,
        {{ intensity_path_factor('targets.reduction_pct', 'projected.year',
            'targets.base_year', 'targets.target_year') }} as path_factor,
        targets.is_current_target
            and projected.gdp_vintage = latest_vintages.latest_gdp_vintage as is_current
    from targets
    inner join projected
        on projected.plan_period = targets.plan_period
        and projected.division_code = targets.division_code
    inner join latest_vintages
        on latest_vintages.plan_period = targets.plan_period
        and latest_vintages.division_code = targets.division_code
    left join outturn_gdp
        on outturn_gdp.division_code = targets.division_code
        and outturn_gdp.year = projected.year
        and outturn_gdp.plan_period = targets.plan_period

),

amounts as (

    select
        budgets.*,
        base_intensity * path_factor * projected_gdp_100m_yuan * 10000 as budget_tco2,
        base_intensity * path_factor * outturn_gdp_100m_yuan * 10000 as budget_at_outturn_gdp_tco2
    from budgets

),

plan_totals as (

    select
        amounts.*,
        case when count(budget_tco2) over (
                partition by plan_period, division_code, target_vintage, gdp_vintage)
            = count(*) over (partition by plan_period, division_code, target_vintage, gdp_vintage)
            then sum(budget_tco2) over (
                partition by plan_period, division_code, target_vintage, gdp_vintage)
        end as plan_budget_tco2
    from amounts

),

finals as (

    select year, division_code, total_tco2
    from {{ ref('int_emissions__division_totals') }}
    where report_type = 'annual'

),

-- The latest month of each year's monthly quick reports, where January to it are all in.
latest_quick_months as (

    select year, division_code, month, ytd_tco2
    from (
        select
            year, division_code, month, ytd_tco2, months_to_date,
            row_number() over (partition by year, division_code order by month desc)
                as month_rank
        from {{ ref('int_emissions__quick_months') }}
    ) as ranked
    where month_rank = 1 and months_to_date = month

),

forecasts as (

    select * from {{ ref('int_dual_control__budget_forecasts') }}
    where model = 'chosen'

),

use_to_date as (

    select
        plan_totals.*,
        case
            when finals.total_tco2 is not null then 'annual_final'
            when latest_quick_months.ytd_tco2 is not null then 'monthly_quicks'
        end as used_basis,
        coalesce(cast(finals.total_tco2 as double), cast(latest_quick_months.ytd_tco2 as double))
            as used_to_date_tco2,
        case
            when finals.total_tco2 is not null then make_date(plan_totals.year, 12, 31)
            when latest_quick_months.ytd_tco2 is not null
                then last_day(make_date(plan_totals.year, latest_quick_months.month, 1))
        end as as_of_date,
        case when finals.total_tco2 is null then latest_quick_months.month end
            as forecast_month,
        case when finals.total_tco2 is null then forecasts.method end as forecast_method,
        case when finals.total_tco2 is null then forecasts.model_version end
            as forecast_model_version,
        case when finals.total_tco2 is not null then cast(finals.total_tco2 as double)
            else forecasts.forecast_tco2 end as forecast_year_end_tco2,
        case when finals.total_tco2 is not null then cast(finals.total_tco2 as double)
            else forecasts.forecast_low_tco2 end as forecast_low_tco2,
        case when finals.total_tco2 is not null then cast(finals.total_tco2 as double)
            else forecasts.forecast_high_tco2 end as forecast_high_tco2
    from plan_totals
    left join finals
        on finals.year = plan_totals.year and finals.division_code = plan_totals.division_code
    left join latest_quick_months
        on latest_quick_months.year = plan_totals.year
        and latest_quick_months.division_code = plan_totals.division_code
    left join forecasts
        on forecasts.year = plan_totals.year
        and forecasts.division_code = plan_totals.division_code
        and forecasts.month = latest_quick_months.month

),

rounded as (

select
    cast(use_to_date.year as integer) as year,
    cast(use_to_date.division_code as string) as division_code,
    cast(divisions.division_name_zh as string) as division_name_zh,
    cast(divisions.division_level as string) as division_level,
    cast(use_to_date.plan_period as string) as plan_period,
    cast(use_to_date.base_year as integer) as base_year,
    cast(use_to_date.target_year as integer) as target_year,
    cast(use_to_date.reduction_pct as double) as plan_reduction_pct,
    cast(use_to_date.target_source as string) as target_source,
    cast(use_to_date.target_vintage as string) as target_vintage,
    cast(use_to_date.gdp_vintage as date) as gdp_projection_vintage,
    cast(concat(use_to_date.target_vintage, ' + GDP projection of ',
        cast(use_to_date.gdp_vintage as string)) as string) as budget_version,
    cast(use_to_date.is_current as boolean) as is_current,
    cast({{ round_to_digits('use_to_date.base_intensity', 12) }} as double)
        as base_intensity_tco2_per_10k_yuan,
    cast({{ round_to_digits('use_to_date.base_intensity * use_to_date.path_factor', 12) }}
        as double) as target_path_intensity,
    cast(use_to_date.real_growth_pct as double) as projected_real_growth_pct,
    cast({{ round_to_digits('use_to_date.projected_gdp_100m_yuan', 6) }} as double)
        as projected_gdp_100m_yuan,
    cast({{ round_to_digits('use_to_date.budget_tco2', 6) }} as double) as budget_tco2,
    cast({{ round_to_digits('use_to_date.plan_budget_tco2', 6) }} as double) as plan_budget_tco2,
    cast(use_to_date.outturn_gdp_100m_yuan as double) as outturn_gdp_100m_yuan,
    cast({{ round_to_digits('use_to_date.budget_at_outturn_gdp_tco2', 6) }} as double)
        as budget_at_outturn_gdp_tco2,
    cast(use_to_date.used_basis as string) as used_basis,
    cast(use_to_date.used_to_date_tco2 as double) as used_to_date_tco2,
    cast(use_to_date.as_of_date as date) as as_of_date,
    cast(use_to_date.forecast_month as integer) as forecast_month,
    cast(use_to_date.forecast_method as string) as forecast_method,
    cast(use_to_date.forecast_model_version as string) as forecast_model_version,
    cast({{ round_to_digits('use_to_date.forecast_year_end_tco2', 6) }} as double)
        as forecast_year_end_tco2,
    cast({{ round_to_digits('use_to_date.forecast_low_tco2', 6) }} as double)
        as forecast_low_tco2,
    cast({{ round_to_digits('use_to_date.forecast_high_tco2', 6) }} as double)
        as forecast_high_tco2
from use_to_date
inner join divisions on divisions.division_code = use_to_date.division_code

)

-- The status from the published (rounded) amounts, as the gate recomputes it.
select
    *,
    cast(case
        when budget_tco2 is null or forecast_year_end_tco2 is null then 'no_forecast'
        when forecast_low_tco2 > budget_tco2 then 'over_budget'
        when forecast_year_end_tco2 > budget_tco2 then 'at_risk'
        else 'within_budget'
    end as string) as budget_status
from rounded
