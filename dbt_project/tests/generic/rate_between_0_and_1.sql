{#- A rate column (NULL allowed: no denominator) lies within [0, 1]. -#}
{% test rate_between_0_and_1(model, column_name) %}
select {{ column_name }} as rate
from {{ model }}
where {{ column_name }} is not null
  and ({{ column_name }} < 0 or {{ column_name }} > 1)
{% endtest %}
