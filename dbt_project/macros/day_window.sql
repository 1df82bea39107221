{#
  The day window of the daily models: the vars nowcast_from and nowcast_to (ISO dates, both
  included), empty by default (every day). A daily partition run passes its day as both
  (dbt build --vars '{"nowcast_from": "2021-03-01", "nowcast_to": "2021-03-01"}').
  `and`-clauses on `date_expression`, for a where clause that has a condition already.
#}
{% macro day_window_filter(date_expression) -%}
    {%- set day_from = var('nowcast_from', none) -%}
    {%- set day_to = var('nowcast_to', none) -%}
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
