{# Every value of the column is a `field` of `to` whose boolean column `flag` is true, e.g. every
   use of the combustion rows is a combustion use of ref_energy_uses. #}
{% test relationships_flagged(model, column_name, to, field, flag) %}
select child.{{ column_name }}
from {{ model }} as child
where child.{{ column_name }} is not null
  and child.{{ column_name }} not in (
      select parent.{{ field }} from {{ to }} as parent where parent.{{ flag }}
  )
{% endtest %}
