{#- Every row satisfies a boolean SQL expression (rows where it is false are failures; NULL counts as true). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), true)
{% endtest %}
