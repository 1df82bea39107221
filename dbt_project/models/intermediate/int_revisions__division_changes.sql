-- How a re-delivered annual report moves each division's total against the vintage it
-- superseded: one row per revision (int_revisions__annual_report_pairs) × division × measure
-- (int_revisions__division_totals_by_vintage), a division absent from one vintage counting 0.
--   change     = revised − previous (t of energy CO2, or 亿元 of GDP at current prices);
--   change_pct = 100 × change / previous, null when the previous vintage had 0.
-- The warning check `revisions_of_<feed>` (orchestration/assets/operations.py) names the
-- divisions that move by more than revision_change_max_pct (quality/thresholds.yml).
with pairs as (

    select * from {{ ref('int_revisions__annual_report_pairs') }}

),

totals as (

    select * from {{ ref('int_revisions__division_totals_by_vintage') }}

),

divisions as (

    select * from {{ ref('ref_divisions') }}

),

previous_totals as (

    select pairs.previous_sha256, pairs.revised_sha256, totals.division_code, totals.measure,
        totals.measure_name, totals.unit, totals.total
    from pairs
    inner join totals on totals.delivery_sha256 = pairs.previous_sha256

),

revised_totals as (

    select pairs.previous_sha256, pairs.revised_sha256, totals.division_code, totals.measure,
        totals.measure_name, totals.unit, totals.total
    from pairs
    inner join totals on totals.delivery_sha256 = pairs.revised_sha256

),

compared as (

    select
        coalesce(old.previous_sha256, new.previous_sha256) as previous_sha256,
        coalesce(old.revised_sha256, new.revised_sha256) as revised_sha256,
        coalesce(old.division_code, new.division_code) as division_code,
        coalesce(old.measure, new.measure) as measure,
        coalesce(old.measure_name, new.measure_name) as measure_name,
        coalesce(old.unit, new.unit) as unit,
        coalesce(old.total, cast(0 as decimal(38, 6))) as previous_value,
        coalesce(new.total, cast(0 as decimal(38, 6))) as revised_value
    from previous_totals as old
    full outer join revised_totals as new
        on new.previous_sha256 = old.previous_sha256
        and new.revised_sha256 = old.revised_sha256
        and new.division_code = old.division_code
        and new.measure = old.measure

)

select
    pairs.feed,
    pairs.period,
    pairs.report_type,
    pairs.previous_path,
    pairs.previous_received_at,
    pairs.revised_path,
    pairs.revised_received_at,
    pairs.is_current,
    compared.measure,
    compared.measure_name,
    compared.unit,
    compared.division_code,
    divisions.division_name_zh,
    divisions.division_level,
    divisions.parent_code,
    parents.division_name_zh as parent_name_zh,
    case divisions.division_level when 'province' then 1 when 'city' then 2 else 3 end
        as division_sort,
    cast(compared.previous_value as decimal(38, 6)) as previous_value,
    cast(compared.revised_value as decimal(38, 6)) as revised_value,
    cast(compared.revised_value - compared.previous_value as decimal(38, 6)) as change,
    case
        when compared.previous_value <> 0
            then cast(100 * (compared.revised_value - compared.previous_value) as double)
                / cast(compared.previous_value as double)
    end as change_pct
from compared
inner join pairs
    on pairs.previous_sha256 = compared.previous_sha256
    and pairs.revised_sha256 = compared.revised_sha256
left join divisions on divisions.division_code = compared.division_code
left join divisions as parents on parents.division_code = divisions.parent_code
