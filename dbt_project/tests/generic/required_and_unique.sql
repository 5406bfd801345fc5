{#- A relation's required and unique columns in one test (one node per relation, not one per column and check):
    each `required` column is never NULL, and each entry of `unique` (a column, or a list of columns: a
    combination, the relation's grain) is unique. Failing rows are the relation's rows that break any, with
    `failed_checks` naming each column and check the row breaks (macro rows_failing_checks). -#}
{% test required_and_unique(model, required=[], unique=[]) %}
{%- set checks = [] -%}
{%- for column in required -%}
    {%- do checks.append(["tested." ~ column ~ " is null", column ~ " is null"]) -%}
{%- endfor -%}
{{ rows_failing_checks(model, checks, unique) }}
{% endtest %}
