{#- A relation's required and unique columns in one test (one node per relation, not one per column and check):
    each `required` column is never NULL, and each entry of `unique` (a column, or a list of columns: a
    combination, the relation's grain) is unique. A single column's NULLs are not compared (as dbt's unique test);
    a combination counts NULL as a value (as unique_combination_of_columns). Failing rows are the relation's rows
    that break any, with `failed_checks` naming each column and check the row breaks, and the count of rows sharing
    each unique entry's value (`rows_with_this_<columns>`). -#}
{% test required_and_unique(model, required=[], unique=[]) %}
{%- set conditions, labels, counts = [], [], [] -%}
{%- for column in required -%}
    {%- do conditions.append(column ~ " is null") -%}
    {%- do labels.append(column ~ " is null") -%}
{%- endfor -%}
{%- for entry in unique -%}
    {%- set columns = [entry] if entry is string else entry -%}
    {%- set counted = "rows_with_this_" ~ columns | join('__') -%}
    {%- do counts.append("count(*) over (partition by " ~ columns | join(', ') ~ ") as " ~ counted) -%}
    {%- if entry is string -%}
        {%- do conditions.append("(" ~ entry ~ " is not null and " ~ counted ~ " > 1)") -%}
    {%- else -%}
        {%- do conditions.append(counted ~ " > 1") -%}
    {%- endif -%}
    {%- do labels.append(columns | join(', ') ~ " not unique") -%}
{%- endfor -%}
{%- set named = [] -%}
{%- for condition in conditions -%}
    {%- do named.append("case when " ~ condition ~ " then '" ~ labels[loop.index0] ~ "; ' else '' end") -%}
{%- endfor %}
select
    *,
    {{ dbt.concat(named) if named | length > 1 else named[0] }} as failed_checks
from (
    select
        *
        {%- for count in counts %},
        {{ count }}
        {%- endfor %}
    from {{ model }}
) as counted
where {{ conditions | join('\n    or ') }}
{% endtest %}
