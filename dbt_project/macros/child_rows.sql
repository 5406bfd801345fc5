{#- delete_rows_of_replaced_versions(upstream_model, record_key): post-hook of an incremental model holding several
    rows per record (the steps of an event). delete+insert replaces a record's rows only when its new version has
    rows; this deletes the rows whose (record key, partition_key) is no longer the upstream's version of the record,
    so a new version with no rows (or a record gone) leaves none behind. -#}
{% macro delete_rows_of_replaced_versions(upstream_model, record_key) -%}
{%- if execute and is_incremental() -%}
delete from {{ this }}
where not exists (
    select 1 from {{ ref(upstream_model) }} as upstream
    where upstream.{{ record_key }} = {{ this }}.{{ record_key }}
      and upstream.partition_key = {{ this }}.partition_key
)
{%- endif -%}
{%- endmacro %}
