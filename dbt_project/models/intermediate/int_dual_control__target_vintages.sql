-- Every vintage of every five-year-plan target: each decision delivered on the policy/targets
-- feed and each row of the seed ref_plan_targets (decided before the feed, or the platform's
-- proposal), ranked per plan period × division × indicator:
--   1. a row of the feed wins over the seed's row (the feed carries the decisions);
--   2. of the feed's rows, the later decision file wins (the date in targets_YYYY-MM-DD.csv),
--      then the later decided_on, then the later line.
-- vintage_rank 1 is the current target (is_current); the others stay queryable, each with the
-- date of the decision that replaced it (superseded_on).
with feed as (

    select * from {{ ref('stg_policy__targets') }}

),

seed as (

    select * from {{ ref('ref_plan_targets') }}

),

vintages as (

    select
        plan_period,
        division_code,
        indicator,
        base_year,
        target_year,
        value,
        binding,
        document,
        decided_on,
        'decided' as source,
        'feed' as origin,
        0 as origin_rank,
        delivered_on,
        line_number,
        delivery_sha256,
        concat('policy/targets: targets_', cast(delivered_on as string), '.csv') as basis
    from feed

    union all

    select
        plan_period,
        division_code,
        indicator,
        base_year,
        target_year,
        value,
        binding,
        document,
        decided_on,
        decision_status as source,
        'seed' as origin,
        1 as origin_rank,
        cast(null as date) as delivered_on,
        cast(null as bigint) as line_number,
        cast(null as string) as delivery_sha256,
        source as basis
    from seed

),

ranked as (

    select
        *,
        row_number() over (
            partition by plan_period, division_code, indicator
            order by
                origin_rank,
                delivered_on desc nulls last,
                decided_on desc nulls last,
                line_number desc nulls last
        ) as vintage_rank,
        count(*) over (partition by plan_period, division_code, indicator) as vintage_count
    from vintages

)

select
    plan_period,
    division_code,
    indicator,
    base_year,
    target_year,
    value,
    binding,
    document,
    decided_on,
    source,
    basis,
    origin,
    delivered_on,
    line_number,
    delivery_sha256,
    vintage_rank,
    vintage_count,
    vintage_rank = 1 as is_current,
    -- The decision that replaced this vintage: the one ranked just above it.
    lag(decided_on) over (
        partition by plan_period, division_code, indicator order by vintage_rank
    ) as superseded_on
from ranked
