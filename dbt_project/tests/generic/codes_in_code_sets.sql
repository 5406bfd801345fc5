{#- Every coded column of a model or seed holds only codes of its code set (one node per relation, not one
    relationships test per column): `code_sets` maps each column to `{to: ref('<seed>'), field: <code column>}`.
    NULLs pass (a code that did not conform is NULL: the relation's WARN `<model>_conformed` check). One failing
    row per column and value outside its code set, naming the column, the code set and the value, with its row
    count. The sharing catalog reads a mart column's codes from these arguments (pipelines/sharing/catalog.py). -#}
{% test codes_in_code_sets(model, code_sets) %}
{%- for column, code_set in code_sets.items() %}
{%- if not loop.first %}
union all
{%- endif %}
select
    '{{ column }}' as column_name,
    '{{ code_set.to.identifier }}.{{ code_set.field }}' as code_set,
    cast({{ column }} as {{ dbt.type_string() }}) as value,
    count(*) as rows_with_value
from {{ model }}
where {{ column }} is not null
  and {{ column }} not in (
      select code_set.{{ code_set.field }} from {{ code_set.to }} as code_set
      where code_set.{{ code_set.field }} is not null)
group by {{ column }}
{%- endfor %}
{% endtest %}
