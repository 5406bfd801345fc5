{#-
  Staging kept as a table, by landed partition. A monthly source lands a whole register each month (the enterprise
  register: every enterprise again), and its history models, the unmapped-code report and the staging test all read
  every row of its staging: as a view, each reader would clean every row again. Its staging model is an incremental
  table instead (the materialization comes from the contract: pipelines/derived/dbt_files.py): a run cleans only the
  partitions of its window and replaces them (delete+insert on partition_key), so the table always holds what the
  view would show. The first build, and a --full-refresh, clean every landed partition.
-#}

{#- contract_staging_increment(source_name): contract_staging of the partitions of the run's window (a dbt unit test
    of the model, which has no relation of its own, stages every given row). -#}
{% macro contract_staging_increment(source_name) -%}
select * from (
{{ contract_staging(source_name) }}
) as staged
{%- if model.resource_type == 'model' and is_incremental() %}
where {{ partition_window_filter('partition_key', grain=contract_grain(source_contracts()[source_name])) }}
{%- endif %}
{%- endmacro %}

{#- delete_partitions_gone_from_landing(source_name): post-hook of such a staging table. A partition with no landed
    file any more (every record quarantined on a re-landing) has nothing to insert: its staged rows go here. Reads
    only the landed partition keys (the folder names). -#}
{% macro delete_partitions_gone_from_landing(source_name) -%}
{%- if execute and is_incremental() -%}
delete from {{ this }}
where partition_key not in (select distinct cast(partition_key as date) from {{ landed_source(source_name) }})
{%- endif -%}
{%- endmacro %}
