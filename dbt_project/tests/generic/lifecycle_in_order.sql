{#- Lifecycle timestamps (in the listed order) never go backwards: every pair of present timestamps is ordered.
    Returns the offending rows. Use with severity warn: departments do deliver out-of-order histories. -#}
{% test lifecycle_in_order(model, columns) %}
select *
from {{ model }}
where not {{ lifecycle_in_order(columns) }}
{% endtest %}
