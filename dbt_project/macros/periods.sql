{#
  The period of a delivery (data contract): 'YYYY' for a year, 'YYYY-MM' for a month.
  period_year gives the year; period_month the month, null for a yearly period.
#}
{% macro period_year(period) -%}
    cast(left({{ period }}, 4) as integer)
{%- endmacro %}

{% macro period_month(period) -%}
    case when length({{ period }}) = 7 then cast(right({{ period }}, 2) as integer) end
{%- endmacro %}

{#
  Filters on the period text itself, for the large feeds: DuckDB applies them while it scans the
  column, before any other column of the row is read or computed. The same filters written on
  the year and month cast from the period (period_year, period_month) cost 2 s of 17 at 200
  million rows (bench/accounting.py). The contract's format makes them exact: a 'YYYY' or
  'YYYY-MM' period starts with its four-digit year, and four-digit years sort as text as they
  do as numbers.
#}
{% macro period_is_year(period) -%}
    length({{ period }}) = 4
{%- endmacro %}

{% macro period_is_month(period) -%}
    length({{ period }}) = 7
{%- endmacro %}

{# The period lies in the project's years, var first_year..last_year. #}
{% macro period_in_project_years(period) -%}
    left({{ period }}, 4) between '{{ var("first_year") }}' and '{{ var("last_year") }}'
{%- endmacro %}
