{#-
  landed_fixture(source_name, table_name, rows): the SQL of a unit-test input `source(...)` (use `format: sql` and
  wrap the call in raw tags, because property files are rendered at parse time).
  dbt builds dict/csv fixtures from the columns of an existing relation, but landed sources are external Parquet
  (read_parquet) and the unit-test context has no graph, so the landed columns come from the contracts (macro
  source_contracts(), derived by make): every contract column (VARCHAR) plus the lineage columns. Columns a row
  does not mention are NULL.
-#}
{% macro landed_columns() -%}
{%- set columns = {} -%}
{%- for source_name, contract in source_contracts().items() -%}
    {%- do columns.update({source_name ~ '.' ~ contract.entity: contract.columns | map(attribute='name') | list}) -%}
{%- endfor -%}
{{ return(columns) }}
{%- endmacro %}

{% macro landed_lineage_columns() -%}
{{ return([
    ('_source_file', 'varchar'),
    ('_source_row', 'bigint'),
    ('_load_id', 'varchar'),
    ('_ingested_at', 'timestamp with time zone'),
    ('_record_hash', 'varchar'),
    ('partition_key', 'date'),
]) }}
{%- endmacro %}

{% macro landed_fixture(source_name, table_name, rows) -%}
{%- set key = source_name ~ '.' ~ table_name -%}
{%- set contract_columns = landed_columns().get(key) -%}
{%- if contract_columns is none -%}
    {{ exceptions.raise_compiler_error("landed_fixture: unknown landed source " ~ key) }}
{%- endif -%}
{%- set columns = [] -%}
{%- for name in contract_columns %}{% do columns.append((name, 'varchar')) %}{% endfor -%}
{%- for column in landed_lineage_columns() %}{% do columns.append(column) %}{% endfor -%}
{%- set column_names = columns | map(attribute=0) | list -%}
{%- for row in rows %}
{%- set unknown = row.keys() | reject('in', column_names) | list -%}
{%- if unknown -%}
    {{ exceptions.raise_compiler_error("landed_fixture: " ~ key ~ " has no column(s) " ~ unknown | join(', ')) }}
{%- endif %}
select
{%- for name, data_type in columns %}
    cast({% if row.get(name) is none %}null{% else %}'{{ row[name] | string | replace("'", "''") }}'{% endif %} as {{ data_type }}) as {{ name }}{% if not loop.last %},{% endif %}
{%- endfor %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- if rows | length == 0 %}
select
{%- for name, data_type in columns %}
    cast(null as {{ data_type }}) as {{ name }}{% if not loop.last %},{% endif %}
{%- endfor %}
limit 0
{%- endif %}
{%- endmacro %}
