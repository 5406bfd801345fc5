{#- Every check of a standard or mapping seed's rows in one test (one node per seed: a seed is small, and a test
    node costs dbt about as much as its query): `required` columns never NULL, `unique` entries unique (as
    required_and_unique), each column of `code_sets` (`{to: ref('<seed>'), field: <code column>}`) holding only
    codes of its code set, each column of `accepted_values` only the listed values, each `not_negative` column
    no value below zero (NULLs pass these three). Failing rows are the seed's rows that break any, with
    `failed_checks` naming each (macro rows_failing_checks). -#}
{% test seed_rows_valid(model, required=[], unique=[], code_sets={}, accepted_values={}, not_negative=[]) %}
{%- set checks = [] -%}
{%- for column in required -%}
    {%- do checks.append(["tested." ~ column ~ " is null", column ~ " is null"]) -%}
{%- endfor -%}
{%- for column, code_set in code_sets.items() -%}
    {%- do checks.append(["tested." ~ column ~ " not in (select code_set." ~ code_set.field ~ " from "
        ~ code_set.to ~ " as code_set where code_set." ~ code_set.field ~ " is not null)",
        column ~ " not in " ~ code_set.to.identifier ~ "." ~ code_set.field]) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values -%}
        {%- do listed.append("'" ~ value ~ "'") -%}
    {%- endfor -%}
    {%- do checks.append(["cast(tested." ~ column ~ " as " ~ dbt.type_string() ~ ") not in (" ~ listed | join(', ')
        ~ ")", column ~ " not an accepted value"]) -%}
{%- endfor -%}
{%- for column in not_negative -%}
    {%- do checks.append(["tested." ~ column ~ " < 0", column ~ " negative"]) -%}
{%- endfor -%}
{{ rows_failing_checks(model, checks, unique) }}
{% endtest %}
