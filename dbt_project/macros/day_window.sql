{#
  The day window of the daily models: the vars nowcast_from and nowcast_to (ISO dates, both
  included; `dbt build --vars '{"nowcast_from": "2021-03-01", "nowcast_to": "2021-03-01"}'`),
  else the environment's EMISSIONS_NOWCAST_FROM and EMISSIONS_NOWCAST_TO, which a partition run
  of the daily assets sets to its days (orchestration/dbt.py): other vars than the parse's make
  dbt parse the whole project again (6 s), a changed environment variable only the files that
  read it. Empty by default (every day).
  `and`-clauses on `date_expression`, for a where clause that has a condition already.
#}
{% macro day_window() -%}
    {{- return([
        var('nowcast_from', none) or env_var('EMISSIONS_NOWCAST_FROM', '') or none,
        var('nowcast_to', none) or env_var('EMISSIONS_NOWCAST_TO', '') or none,
    ]) -}}
{%- endmacro %}

{% macro day_window_filter(date_expression) -%}
    {%- set day_from, day_to = day_window() -%}
    {%- if day_from %} and {{ date_expression }} >= cast('{{ day_from }}' as date){% endif -%}
    {%- if day_to %} and {{ date_expression }} <= cast('{{ day_to }}' as date){% endif -%}
{%- endmacro %}

{#
  Whether the day `date_expression` lies in the heating season of the row of
  ref_heating_seasons aliased `season` (heating_from, heating_to as 'MM-DD', the season running
  over the new year when heating_from > heating_to); false where the sector has no row.
#}
{% macro is_heating_day(date_expression, season) -%}
    coalesce(
        case
            when {{ season }}.heating_from <= {{ season }}.heating_to
                then {{ month_day(date_expression) }} between {{ season }}.heating_from and {{ season }}.heating_to
            else {{ month_day(date_expression) }} >= {{ season }}.heating_from
                or {{ month_day(date_expression) }} <= {{ season }}.heating_to
        end,
        false
    )
{%- endmacro %}

{# A date as its 'MM-DD' text (both engines: the ISO text of the date, characters 6 to 10). #}
{% macro month_day(date_expression) -%}
    substr(cast({{ date_expression }} as {{ dbt.type_string() }}), 6, 5)
{%- endmacro %}

{#
  The configuration of every daily model (the partitioned dbt assets of the nowcast,
  orchestration/dbt.py selects them by the tag `daily` and their stage's tag): on DuckDB an
  incremental model by day, a build deleting and inserting the days it computes (those of the
  day window, else every day; int_power__electricity_daily: the days whose inputs changed); on
  Spark a table rebuilt whole (its partition runs pass no window). stage: `daily_inputs` (read
  by the annual models) or `daily_nowcast` (reads them).
#}
{% macro daily_model_config(date_column, stage) -%}
    {{ config(
        materialized=('incremental' if target.type == 'duckdb' else 'table'),
        incremental_strategy='delete+insert',
        unique_key=date_column,
        on_schema_change='append_new_columns',
        tags=['daily', stage],
    ) }}
{%- endmacro %}

{# Whether the build has a day window (either var set). #}
{% macro has_day_window() -%}
    {%- set day_from, day_to = day_window() -%}
    {{- return(day_from is not none or day_to is not none) -}}
{%- endmacro %}

{#
  The relation a generic data test reads (dbt calls this for every generic test's `model`):
  dbt's own, the test's `where` config applied, and for a daily model built with a day window,
  only the window's days (its date column: the model's unique_key, daily_model_config), so a
  day's build tests that day's rows, never every day again.
#}
{% macro get_where_subquery(relation) -%}
    {#- `where true and …`: Spark (not in ANSI mode) reads `where (x)` after a table as an
        alias `where` with a column list. -#}
    {%- set clauses = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do clauses.append(' and (' ~ where ~ ')') -%}{%- endif -%}
    {%- set date_column = daily_date_column(relation) -%}
    {%- if date_column and has_day_window() -%}
        {%- do clauses.append(day_window_filter(adapter.quote(date_column))) -%}
    {%- endif -%}
    {%- if clauses -%}
        {%- set filtered -%}
            (select * from {{ relation }} where true{{ clauses | join('') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# The date column of the daily model `relation` is built as (None for any other relation). #}
{% macro daily_date_column(relation) -%}
    {%- if execute and relation is not string and relation.identifier -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and 'daily' in node.tags
                and (node.alias or node.name) == relation.identifier -%}
                {%- do return(node.config.unique_key) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do return(none) -%}
{%- endmacro %}
