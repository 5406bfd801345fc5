{#- rows_failing_checks(model, checks, unique): the rows of `model` (aliased `tested`) that break any of `checks` (a
    list of [condition on `tested`, label]) or any entry of `unique` (a column, or a list of columns: a combination,
    the relation's grain), with `failed_checks` naming each check the row breaks and the count of rows sharing each
    unique entry's value (`rows_with_this_<columns>`; 1 for a single column's NULL, which is not compared, as dbt's
    unique test; a combination counts NULL as a value, as unique_combination_of_columns). The body of the folded
    tests required_and_unique and seed_rows_valid.
    Repeated values are found by grouping (a hash aggregate, kept only where a value repeats) and joined back, not
    by a window count over every row: a passing test (the usual case) costs a scan and an aggregate (for
    fct_dispute_journey's two columns a third of the window's CPU). -#}
{% macro rows_failing_checks(model, checks, unique=[]) %}
{%- set conditions, labels, counts, joins = [], [], [], [] -%}
{%- for condition, label in checks -%}
    {%- do conditions.append(condition) -%}
    {%- do labels.append(label) -%}
{%- endfor -%}
{%- for entry in unique -%}
    {%- set columns = [entry] if entry is string else entry -%}
    {%- set counted = "rows_with_this_" ~ columns | join('__') -%}
    {%- set repeated = "repeated_" ~ loop.index -%}
    {%- set matches = [] -%}
    {%- for column in columns -%}
        {%- do matches.append(repeated ~ "." ~ column ~ " is not distinct from tested." ~ column) -%}
    {%- endfor -%}
    {%- do joins.append("left join (select " ~ columns | join(', ') ~ ", count(*) as " ~ counted ~ " from "
        ~ model ~ (" where " ~ entry ~ " is not null" if entry is string else "") ~ " group by "
        ~ columns | join(', ') ~ " having count(*) > 1) as " ~ repeated ~ " on " ~ matches | join(' and ')) -%}
    {%- do counts.append("coalesce(" ~ repeated ~ "." ~ counted ~ ", 1) as " ~ counted) -%}
    {%- do conditions.append(repeated ~ "." ~ counted ~ " is not null") -%}
    {%- do labels.append(columns | join(', ') ~ " not unique") -%}
{%- endfor -%}
{%- set named = [] -%}
{%- for condition in conditions -%}
    {%- do named.append("case when " ~ condition ~ " then '" ~ labels[loop.index0] ~ "; ' else '' end") -%}
{%- endfor %}
select
    tested.*,
    {%- for count in counts %}
    {{ count }},
    {%- endfor %}
    {{ dbt.concat(named) if named | length > 1 else named[0] }} as failed_checks
from (select * from {{ model }}) as tested
{%- for join in joins %}
{{ join }}
{%- endfor %}
where {{ conditions | join('\n    or ') }}
{% endmacro %}
