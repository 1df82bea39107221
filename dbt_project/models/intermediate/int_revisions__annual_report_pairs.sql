-- Each re-delivered final report and the vintage it superseded, from the audit trail: one row
-- per pair of deliveries of a feed for the same period and report type, the earlier marked
-- `superseded` by the later (audit.file_deliveries.superseded_by names the later file). Final
-- reports are those of the report type that supersedes the others (ref_report_types,
-- precedence 1: 年报, annual). A chain of revisions gives one pair per step; `is_current` marks
-- the pair whose revised vintage is the one the accounts use now.
with deliveries as (

    select deliveries.*
    from {{ source('audit', 'file_deliveries') }} as deliveries
    inner join {{ ref('ref_report_types') }} as report_types
        on report_types.report_type = deliveries.report_type
    where report_types.precedence = 1
      and deliveries.status in ('loaded', 'superseded')

),

pairs as (

    select
        previous.feed,
        previous.period,
        previous.report_type,
        previous.sha256 as previous_sha256,
        previous.path as previous_path,
        previous.received_at as previous_received_at,
        revised.sha256 as revised_sha256,
        revised.path as revised_path,
        revised.received_at as revised_received_at,
        revised.status = 'loaded' as is_current,
        -- the same path may be delivered again with other bytes: the first delivery at the
        -- superseding path after the superseded one is its successor
        row_number() over (
            partition by previous.sha256, previous.path
            order by revised.received_at, revised.sha256
        ) as successor_rank
    from deliveries as previous
    inner join deliveries as revised
        on revised.feed = previous.feed
        and revised.period = previous.period
        and revised.report_type = previous.report_type
        and revised.path = previous.superseded_by
        and revised.sha256 <> previous.sha256
        and revised.received_at >= previous.received_at
    where previous.status = 'superseded'

)

select
    feed,
    period,
    report_type,
    previous_sha256,
    previous_path,
    previous_received_at,
    revised_sha256,
    revised_path,
    revised_received_at,
    is_current
from pairs
where successor_rank = 1
