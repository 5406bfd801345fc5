{#- At least `min_share` of the rows matching `where` have a value in the column (a conformance rate, such as the
    share of work orders whose address found its street). One failing row, with the counts, when it is lower. -#}
{% test share_not_null_at_least(model, column_name, min_share, where='true') %}
with counted as (
    select count(*) as candidate_rows, count({{ column_name }}) as rows_with_value
    from {{ model }}
    where {{ where }}
)
select candidate_rows, rows_with_value, cast(rows_with_value as double) / candidate_rows as share
from counted
where candidate_rows > 0 and rows_with_value < {{ min_share }} * candidate_rows
{% endtest %}
