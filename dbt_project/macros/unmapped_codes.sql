{#-
  The unmapped-code report (ops_unmapped_codes) from the contracts: every coded contract column (a column with a
  code_set) is checked against the city standard with the lookup the int_ models conform with (element_lookup_sql,
  built once in ops_code_lookup).
  ops_unmapped_code_records keeps each record's latest version with its unmapped values, incrementally; nothing here
  names a source.
-#}

{#- coded_contracts(): {source: contract} of the contracts with at least one coded column. -#}
{% macro coded_contracts() -%}
{%- set coded = {} -%}
{%- for source_name, contract in source_contracts().items() if contract.columns | selectattr('element', 'defined') | list -%}
    {%- do coded.update({source_name: contract}) -%}
{%- endfor -%}
{{ return(coded) }}
{%- endmacro %}

{#- code_lookup_of(source_name, column_name): select of the lookup (lookup_key, code, district_code) of one coded
    contract column, from ops_code_lookup. -#}
{% macro code_lookup_of(source_name, column_name) -%}
select lookup_key, code, district_code from {{ ref('ops_code_lookup') }}
where source = '{{ source_name }}' and column_name = '{{ column_name }}'
{%- endmacro %}

{#- contract_grain(contract): the window grain of a contract's partitions ('day', 'week' or 'month'). -#}
{% macro contract_grain(contract) -%}
{{ return({'monthly': 'month', 'weekly': 'week'}.get(contract.partition_type, 'day')) }}
{%- endmacro %}

{#- record_key_text(columns, alias): one VARCHAR for a (possibly composite) record key, the columns of `alias` when
    given. Staged key parts hold no spaces (cleaned with spaces removed), so a space joins them unambiguously. -#}
{% macro record_key_text(columns, alias=none) -%}
{%- set prefix = alias ~ '.' if alias else '' -%}
{%- for column in columns %}cast({{ prefix }}{{ column }} as varchar){% if not loop.last %} || ' ' || {% endif %}{% endfor -%}
{%- endmacro %}

{#- partitions_from_window_start(column, grain): in an incremental run, a predicate keeping the partitions from the
    window's start on (the first day of its week or month for those grains); `true` without a window start and when
    the model is built whole (its first build reads all history). A record with a version in the window has its
    latest version there or later, so these partitions are all an incremental run reads. -#}
{% macro partitions_from_window_start(column, grain='day') -%}
{%- set start = window_bound('window_start') -%}
{%- if not is_incremental() or not window_is_set() or start is none -%}
true
{%- elif grain == 'day' -%}
cast({{ column }} as date) >= date '{{ start }}'
{%- else -%}
cast({{ column }} as date) >= cast({{ dbt.date_trunc(grain, "date '" ~ start ~ "'") }} as date)
{%- endif -%}
{%- endmacro %}

{#- records_lost_from_window(source_name, contract): true in an incremental run when ops_unmapped_code_records holds
    a record of the source built from the window's partitions (from its start on) that those partitions no longer
    hold (re-landed without it): its latest version is then earlier, or gone. Asked first of the built table alone,
    which holds no such partition on a new day. -#}
{% macro records_lost_from_window(source_name, contract) -%}
{%- if not (execute and is_incremental() and window_is_set() and window_bound('window_start')) -%}
    {{ return(false) }}
{%- endif -%}
{%- set in_window = partitions_from_window_start('partition_key', contract_grain(contract)) -%}
{%- set built_there = "select record_key from " ~ this ~ " where source = '" ~ source_name ~ "' and " ~ in_window -%}
{%- if not run_query(built_there ~ " limit 1").rows -%}
    {{ return(false) }}
{%- endif -%}
{%- set landed_there = "select " ~ record_key_text(contract.record_key) ~ " from " ~ ref(contract.staging_model)
    ~ " where " ~ in_window -%}
{{ return(run_query("select 1 from (" ~ built_there ~ " except " ~ landed_there ~ ") as lost limit 1").rows | length > 0) }}
{%- endmacro %}

{#- sources_changed_from_window(contracts): {source: contract} of the coded sources an incremental run can change:
    those with a landed partition from the window's start on (the staging rows it reads) or with built rows from
    there (a re-landed partition may have lost them). Another source has nothing to read and nothing to replace,
    so its branches are left out of the SQL: binding its staging view costs more than reading nothing from it. All
    of them without a window start and when the model is built whole. -#}
{% macro sources_changed_from_window(contracts) -%}
{%- if not (execute and is_incremental() and window_is_set() and window_bound('window_start')
            and model.resource_type == 'model') -%}
    {{ return(contracts) }}
{%- endif -%}
{%- set landing = env_var('CITYBRAIN_LANDING', '../warehouse/landing') | replace("'", "''") -%}
{%- set found = [] -%}
{%- for source_name, contract in contracts.items() -%}
    {%- set from_start = partitions_from_window_start('partition_key', contract_grain(contract)) -%}
    {%- do found.append("select '" ~ source_name ~ "' as source from (select cast(regexp_extract(file, "
        ~ "'partition_key=([^/]+)/[^/]*$', 1) as date) as partition_key from glob('" ~ landing ~ "/" ~ source_name
        ~ "/*/*.parquet')) as landed where " ~ from_start) -%}
    {%- do found.append("select source from " ~ this ~ " where source = '" ~ source_name ~ "' and " ~ from_start) -%}
{%- endfor -%}
{%- set changed = run_query("select distinct source from (" ~ found | join(" union all ") ~ ") as found")
    .columns[0].values() | list -%}
{%- set kept = {} -%}
{%- for source_name, contract in contracts.items() if source_name in changed -%}
    {%- do kept.update({source_name: contract}) -%}
{%- endfor -%}
{{ return(kept) }}
{%- endmacro %}
