{# Every row of the model satisfies `expression` (SQL over its columns); the failing rows are returned. #}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
