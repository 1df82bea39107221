-- The fate of every delivered file and every quarantined row, counted: one row per year ×
-- feed × check stage × outcome × rule × column. Published as quality_ingest_summary for the
-- data-quality report page. Nothing of a delivered row is carried over (no raw_row, no
-- values): only feeds, rules, columns and counts.
--   check_stage 'file': outcome is the delivery status (loaded, superseded, duplicate,
--                       rejected); rule is the rejection rule of a rejected file (the text
--                       before the first ':' of its reason), column_name is null;
--   check_stage 'row':  outcome is 'quarantined'; rule and column_name are the row rule broken
--                       (one row may break several rules: it is counted under each).
-- year is the year of the delivery's period (file name), or the year it was received when the
-- name has no readable period (rejected file names).
with deliveries as (

    select * from {{ source('audit', 'file_deliveries') }}

),

quarantined as (

    select * from {{ source('audit', 'quarantined_rows') }}

),

dated_deliveries as (

    select
        *,
        cast(coalesce(
            try_cast(regexp_extract(period, '^([0-9]{4})', 1) as integer),
            year(received_at)
        ) as integer) as year
    from deliveries

),

file_outcomes as (

    select
        year,
        feed,
        'file' as check_stage,
        status as outcome,
        case when status = 'rejected' then nullif(trim({{ dbt.split_part('reason', "':'", 1) }}), '') end
            as rule,
        cast(null as {{ dbt.type_string() }}) as column_name,
        count(distinct path) as file_count,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined,
        max(received_at) as last_received_at
    from dated_deliveries
    group by all

),

row_outcomes as (

    select
        dated_deliveries.year,
        quarantined.feed,
        'row' as check_stage,
        'quarantined' as outcome,
        quarantined.rule,
        quarantined.{{ adapter.quote('column') }} as column_name,
        count(distinct quarantined.file) as file_count,
        cast(null as bigint) as rows_loaded,
        {{ count_distinct_combinations(['quarantined.file', 'quarantined.line_number']) }}
            as rows_quarantined,
        max(dated_deliveries.received_at) as last_received_at
    from quarantined
    inner join dated_deliveries
        on dated_deliveries.path = quarantined.file
        and dated_deliveries.sha256 = quarantined.sha256
    group by all

)

select
    year,
    feed,
    check_stage,
    outcome,
    rule,
    column_name,
    cast(file_count as bigint) as file_count,
    cast(rows_loaded as bigint) as rows_loaded,
    cast(rows_quarantined as bigint) as rows_quarantined,
    last_received_at
from (select * from file_outcomes union all select * from row_outcomes) as outcomes
order by year, feed, check_stage, outcome, rule, column_name
