{#-
  Staging from the contracts: every staging model is `{{ contract_staging('<source>') }}` (derived by make into
  derived/models/staging/<source>/), typed by its contract's columns (macro source_contracts(), also derived).
  Column types: docs/source_contracts.md. Nothing here names a source.
-#}

{#- contract_staging(source_name): the landed source, every contract column cleaned and typed by its type and
    format, then the lineage columns. -#}
{% macro contract_staging(source_name) -%}
{%- set contract = source_contracts()[source_name] -%}
with source as (

    select * from {{ landed_source(source_name) }}

)

select
{%- for column in contract.columns %}
    {{ staged_value(column, column.name in contract.record_key) }} as {{ column.name }},
{%- endfor %}
    {{ landing_lineage_columns() }}
from source
{%- endmacro %}

{#- staged_value(column, is_key): the SQL of one landed (VARCHAR) contract column, typed. -#}
{% macro staged_value(column, is_key=false) -%}
{%- set name = column.name -%}
{%- if column.type == 'string' -%}
    {{ clean_code(name) if is_key else clean_text(name) }}
{%- elif column.type == 'code' -%}
    {{ clean_code(name) }}
{%- elif column.type == 'timestamp' -%}
    {{ parse_local_timestamp(name, column.formats or none) }}
{%- elif column.type == 'date' -%}
    {{ parse_date(name, column.formats) }}
{%- elif column.type == 'epoch_ms' -%}
    {{ parse_epoch_ms(name) }}
{%- elif column.type == 'integer' -%}
    {{ parse_decimal(name, 'bigint') }}
{%- elif column.type == 'decimal' -%}
    {{ parse_decimal(name, 'decimal(18, 6)') }}
{%- elif column.type == 'json' -%}
    {{ clean_text(name) }}
{%- elif column.type == 'citizen_id' -%}
    {{ normalize_citizen_id(name) }}
{%- elif column.type == 'boolean_zh' -%}
    {{ parse_boolean_zh(name) }}
{%- else -%}
    {{ exceptions.raise_compiler_error("contract_staging: no staging rule for column type '" ~ column.type ~ "'") }}
{%- endif -%}
{%- endmacro %}

{#- parse_date(expr, formats): DATE by the contract's formats first (`excel_date` = an XLSX date serial number or
    date cell, see parse_excel_date), then the common date spellings. -#}
{% macro parse_date(expr, formats=[]) -%}
{%- set value = clean_text(expr) -%}
{%- set patterns = formats | reject('equalto', 'excel_date') | list -%}
{%- if 'excel_date' in formats -%}
    {%- set fallback = parse_excel_date(expr) -%}
{%- else -%}
    {%- set fallback = "cast(try_strptime(" ~ value ~ ", ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d', '%Y年%m月%d日', '%Y.%m.%d', '%Y-%m-%d %H:%M:%S']) as date)" -%}
{%- endif -%}
{%- if patterns -%}
coalesce({{ date_by_formats(value, patterns) }}, {{ fallback }})
{%- else -%}
{{ fallback }}
{%- endif -%}
{%- endmacro %}

{#- landed_source(source_name): the landed source relation or, when nothing was ever landed for it (no Parquet
    file under the landing folder), an empty relation with the same columns, so a new source never fails a build. -#}
{% macro landed_source(source_name) -%}
{%- set contract = source_contracts()[source_name] -%}
{%- set relation = source(source_name, contract.entity) -%}
{%- if execute and model.resource_type == 'model' and not source_is_landed(source_name) -%}
(
    select
    {%- for column in contract.columns %}
        cast(null as varchar) as {{ column.name }},
    {%- endfor %}
    {%- for name, data_type in landed_lineage_columns() %}
        cast(null as {{ data_type }}) as {{ name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    limit 0
) as never_landed
{%- else -%}
{{ relation }}
{%- endif -%}
{%- endmacro %}

{#- source_is_landed(source_name): true when a landed Parquet file exists for the source (asked at run time). -#}
{% macro source_is_landed(source_name) -%}
{%- set folder = env_var('CITYBRAIN_LANDING', '../warehouse/landing') ~ '/' ~ source_name -%}
{%- set found = run_query("select count(*) from glob('" ~ (folder | replace("'", "''")) ~ "/*/*.parquet')") -%}
{{ return(found.columns[0].values()[0] > 0) }}
{%- endmacro %}
