-- Metered electricity per day × county × industry × customer type (MWh), the accounts' daily
-- readings (stg_power__meter_daily, kWh) summed over the accounts of the cell, with the key
-- sector of the industry (ref_industry_sectors, the sector list of the annual accounts), the
-- accounts read and the largest account's reading (disclosure control's inputs).
--
-- A daily model (macros/day_window.sql), incremental on DuckDB (a table on Spark, rebuilt
-- whole). With the day window vars nowcast_from / nowcast_to (both included: a partition run of
-- the days, `emissions backfill`) it recomputes exactly the days of the window. Without them
-- each day's day_version, a digest of its current meter file's checksum (raw._sha256), the
-- account registry's deliveries and the industry → sector mapping, decides: a build recomputes
-- only the days whose version changed (a new day's file, a revised file for a past day; every
-- day when the registry or the mapping changes; a warehouse built before day_version existed
-- recomputes every day once: its rows have none).
{{ daily_model_config('reading_date', 'daily_inputs') }}
-- ref_sectors, the target of its sector_code's relationship test, made an ancestor, so the
-- test runs with the model's step (dbt's buildable indirect selection):
-- depends_on: {{ ref('ref_sectors') }}
with inputs_version as (

    -- What every day's cells depend on besides its own file.
    select concat(registries.version, '|', mapping.version) as version
    from (
        select {{ sorted_list('file_sha256') }} as version
        from (
            select distinct _sha256 as file_sha256
            from {{ source('raw', 'power__accounts') }}
            where not _is_superseded
        ) as files
    ) as registries
    cross join (
        select {{ sorted_list("concat(industry_code, ':', sector_code)") }} as version
        from {{ ref('ref_industry_sectors') }}
    ) as mapping

),

day_versions as (

    -- One current file per day (a revision supersedes the earlier delivery).
    select files.reading_date,
        md5(concat(files.file_sha256, '|', inputs_version.version)) as day_version
    from (
        select cast(_file_period as date) as reading_date, max(_sha256) as file_sha256
        from {{ source('raw', 'power__meter_daily') }}
        where not _is_superseded
        group by _file_period
    ) as files
    cross join inputs_version

),

days as (

    select day_versions.reading_date, day_versions.day_version
    from day_versions
    {% if has_day_window() %}
    where true {{ day_window_filter('day_versions.reading_date') }}
    {% elif is_incremental() %}
    left join (select distinct reading_date, day_version from {{ this }}) as built
        on built.reading_date = day_versions.reading_date
    where built.day_version is distinct from day_versions.day_version
    {% endif %}

),

readings as (

    select reading_date, account_id, electricity_kwh
    from {{ ref('stg_power__meter_daily') }}
    where reading_date in (select reading_date from days)

),

accounts as (

    select account_id, division_code, industry_code, customer_type
    from {{ ref('stg_power__accounts') }}

),

industry_sectors as (

    select industry_code, sector_code from {{ ref('ref_industry_sectors') }}

),

cells as (

    select
        readings.reading_date,
        accounts.division_code,
        accounts.industry_code,
        industry_sectors.sector_code,
        accounts.customer_type,
        count(*) as accounts,
        cast(sum({{ decimal_amount('readings.electricity_kwh') }}) / 1000 as decimal(38, 6))
            as electricity_mwh,
        max(readings.electricity_kwh) as max_account_kwh
    from readings
    inner join accounts on accounts.account_id = readings.account_id
    inner join industry_sectors on industry_sectors.industry_code = accounts.industry_code
    group by
        readings.reading_date, accounts.division_code, accounts.industry_code,
        industry_sectors.sector_code, accounts.customer_type

)

select
    cells.reading_date,
    cast(year(cells.reading_date) as integer) as year,
    cells.division_code,
    cells.industry_code,
    cells.sector_code,
    cells.customer_type,
    cells.accounts,
    cells.electricity_mwh,
    cells.max_account_kwh,
    days.day_version
from cells
inner join days on days.reading_date = cells.reading_date
