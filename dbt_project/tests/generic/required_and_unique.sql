{#- A code set's columns in one test (one node per seed, not one per column): each `required` column is never
    NULL, and each `unique` column's values are unique (NULLs aside, as dbt's unique test). Failing rows are
    the table's rows that break either, with the count of rows sharing each unique column's value. -#}
{% test required_and_unique(model, required=[], unique=[]) %}
select *
from (
    select
        *
        {%- for column in unique %},
        count(*) over (partition by {{ column }}) as rows_with_this_{{ column }}
        {%- endfor %}
    from {{ model }}
) as counted
where false
{%- for column in required %}
    or {{ column }} is null
{%- endfor %}
{%- for column in unique %}
    or ({{ column }} is not null and rows_with_this_{{ column }} > 1)
{%- endfor %}
{% endtest %}
