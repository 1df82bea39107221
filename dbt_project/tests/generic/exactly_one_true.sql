{# Exactly one row of the model has the boolean column true (e.g. the default factor of a seed). #}
{% test exactly_one_true(model, column_name) %}
select count(*) as rows_true
from {{ model }}
where {{ column_name }}
having count(*) <> 1
{% endtest %}
