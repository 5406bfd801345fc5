{#- landing_lineage_columns(): the landing's partition key and lineage columns, typed, as every staging model
    carries them (see docs/architecture.md, "Landing"). -#}
{% macro landing_lineage_columns() -%}
    cast(partition_key as date) as partition_key,
    _source_file,
    cast(_source_row as bigint) as _source_row,
    _load_id,
    cast(_ingested_at as timestamptz) as _ingested_at,
    _record_hash
{%- endmacro %}
