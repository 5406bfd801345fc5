{#- A duration or amount is never negative (NULL allowed). -#}
{% test not_negative(model, column_name) %}
select {{ column_name }} as value
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
