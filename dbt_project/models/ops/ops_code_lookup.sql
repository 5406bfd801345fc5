{#-
  The lookup each coded contract column conforms with (macro element_lookup_sql, as the int_ models use it), per
  source and column, derived from the contracts (macro coded_contracts()). ops_unmapped_code_records reads it
  instead of deriving every lookup from the standard and mapping seeds again on every run; it is built from seeds
  alone, so a day's run leaves it as it is (a changed seed stops the incremental models until a full refresh,
  which rebuilds it: macros/standard_version.sql).
-#}
{%- set lookups = [] %}
{%- for source_name, contract in coded_contracts().items() %}
    {%- for column in contract.columns | selectattr('element', 'defined') %}
        {%- do lookups.append((source_name, column.name)) %}
    {%- endfor %}
{%- endfor %}

{%- for source_name, column_name in lookups %}
select
    cast('{{ source_name }}' as varchar) as source,
    cast('{{ column_name }}' as varchar) as column_name,
    cast(lookup_key as varchar) as lookup_key,
    cast(code as varchar) as code,
    cast(district_code as varchar) as district_code
from ({{ element_lookup_sql(source_name, column_name) }}) as lookup
{%- if not loop.last %}
union all
{%- endif %}
{%- else %}
select cast(null as varchar) as source, cast(null as varchar) as column_name, cast(null as varchar) as lookup_key,
    cast(null as varchar) as code, cast(null as varchar) as district_code
where false
{%- endfor %}
