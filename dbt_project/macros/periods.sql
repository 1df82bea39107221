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
