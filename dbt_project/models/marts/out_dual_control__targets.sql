-- The current five-year-plan targets (published as dual_control_targets): one row per plan
-- period × division × indicator, the latest decision of the policy/targets feed, else the
-- seed's row (decided before the feed, or a proposal, marked `proposed`). Earlier vintages are
-- in int_dual_control__target_vintages. A city without a decided target of a plan whose province
-- has one gets the platform's allocation proposal (int_dual_control__allocation_proposals),
-- marked `proposed`. `year` is the target year (the release's partition).
-- Every published column is cast explicitly (the same SQL runs on Spark).
with current_targets as (

    select * from {{ ref('int_dual_control__target_vintages') }}
    where is_current

),

proposals as (

    -- The platform's allocation of a provincial target to the cities without a decided one.
    select * from {{ ref('int_dual_control__allocation_proposals') }}
    where allocation_status = 'proposed'

),

targets as (

    select
        plan_period,
        division_code,
        indicator,
        base_year,
        target_year,
        value,
        source,
        decided_on,
        binding,
        document,
        basis,
        vintage_count,
        origin,
        delivered_on
    from current_targets

    union all

    select
        plan_period,
        division_code,
        indicator,
        base_year,
        target_year,
        value,
        'proposed' as source,
        cast(null as date) as decided_on,
        binding,
        cast(null as string) as document,
        concat(
            'PROPOSAL, not a decided target: the province''s ', plan_period, ' target of ',
            cast(province_reduction_pct as string), ' % allocated to the cities without one ',
            '(int_dual_control__allocation_proposals; factors and weights ref_allocation_factors, ',
            'data year ', cast(data_year as string), '; docs/methodology.md, Allocation)'
        ) as basis,
        0 as vintage_count,
        'proposal' as origin,
        cast(null as date) as delivered_on
    from proposals
    where not exists (
        select 1 from current_targets
        where current_targets.plan_period = proposals.plan_period
          and current_targets.division_code = proposals.division_code
          and current_targets.indicator = proposals.indicator
    )

),

plans as (

    select * from {{ ref('ref_plan_periods') }}

),

indicators as (

    select * from {{ ref('ref_target_indicators') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

)

select
    cast(targets.target_year as integer) as year,
    cast(targets.plan_period as string) as plan_period,
    cast(targets.division_code as string) as division_code,
    cast(targets.indicator as string) as indicator,
    cast(targets.base_year as integer) as base_year,
    cast(targets.target_year as integer) as target_year,
    cast(targets.value as double) as value,
    cast(targets.source as string) as source,
    cast(targets.decided_on as date) as decided_on,
    cast(targets.binding as string) as binding,
    cast(targets.document as string) as document,
    cast(targets.basis as string) as basis,
    cast(divisions.division_name_zh as string) as division_name_zh,
    cast(divisions.division_level as string) as division_level,
    cast(indicators.indicator_zh as string) as indicator_zh,
    cast(indicators.unit as string) as unit,
    cast(indicators.direction as string) as direction,
    cast(plans.plan_name_zh as string) as plan_name_zh,
    cast(plans.first_year as integer) as plan_first_year,
    cast(plans.last_year as integer) as plan_last_year,
    cast(targets.vintage_count as integer) as vintage_count,
    targets.origin,
    targets.delivered_on
from targets
inner join plans on plans.plan_period = targets.plan_period
inner join indicators on indicators.indicator = targets.indicator
inner join divisions on divisions.division_code = targets.division_code
