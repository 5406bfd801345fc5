{#-
  The latest version of every record of a source with coded contract columns, with each of its delivered coded
  values that does not conform to the city standard (one row per such value; one row with element NULL when it
  has none), so ops_unmapped_codes counts them without reading the landed history. Derived from the contracts
  (macro coded_contracts()), over the staging models, with the lookup the int_ models conform with (as built in
  ops_code_lookup). A street counts only where the record's district conformed (streets are looked up within the
  district).

  Incremental: a run rebuilds every record with a version from the window's start on (its latest version is
  there), and every record built from there that a re-landed partition lost (its latest version is then earlier;
  one landed nowhere any more is deleted: post-hook); a source with neither is left out of the run's SQL (macro
  sources_changed_from_window). A changed mapping or standard seed stops the run (macros/standard_version.sql).
-#}
{{ config(
    materialized='incremental',
    unique_key=['source', 'record_key'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ 'delete from ' ~ this ~ ' where partition_key is null' if is_incremental() else '' }}",
) }}
-- depends_on: {{ ref('ops_code_lookup') }}
{%- set contracts = sources_changed_from_window(coded_contracts()) %}

with
{%- for source_name, contract in contracts.items() %}
{%- set grain = contract_grain(contract) %}
{%- set coded = contract.columns | selectattr('element', 'defined') | map(attribute='name') | reject('in', contract.record_key) | list %}
{%- set staged_columns = (contract.record_key + coded + ['partition_key', '_source_file', '_source_row']) | join(', ') %}
{%- set keys_present %}{% for key in contract.record_key %}{{ key }} is not null{% if not loop.last %} and {% endif %}{% endfor %}{% endset %}
{%- set lost = records_lost_from_window(source_name, contract) %}
{%- if lost %}
lost__{{ source_name }} as (
    select record_key from {{ this }}
    where source = '{{ source_name }}' and {{ partitions_from_window_start('partition_key', grain) }}
    except
    select {{ record_key_text(contract.record_key) }} from {{ ref(contract.staging_model) }}
    where {{ keys_present }} and {{ partitions_from_window_start('partition_key', grain) }}
),
{%- endif %}

{#- no key filter: latest_version_rows() leaves out the versions with a NULL key part #}
versions__{{ source_name }} as (
    select {{ staged_columns }}
    from {{ ref(contract.staging_model) }}
    where {{ partitions_from_window_start('partition_key', grain) }}
    {%- if lost %}
    union all
    -- records built from the window's partitions that are landed there no more: their earlier versions
    select {{ staged_columns }}
    from {{ ref(contract.staging_model) }}
    where {{ keys_present }} and {{ record_key_text(contract.record_key) }} in (select record_key from lost__{{ source_name }})
    {%- endif %}
),

latest__{{ source_name }} as (
    select {{ record_key_text(contract.record_key) }} as record_key, *
    from ({{ latest_version_rows('versions__' ~ source_name, contract.record_key) }}) as latest
    {%- if lost %}
    union all
    -- landed nowhere any more: a row without partition replaces the built one, the post-hook deletes it
    select record_key, {% for column in contract.record_key + coded %}null, {% endfor %}cast(null as date), null, null
    from lost__{{ source_name }}
    where record_key not in (
        select {{ record_key_text(contract.record_key) }} from versions__{{ source_name }} where {{ keys_present }}
    )
    {%- endif %}
),
{%- endfor %}

{%- set checks = [] %}
{%- for source_name, contract in contracts.items() %}
    {%- set coded = contract.columns | selectattr('element', 'defined') | list %}
    {%- set district = coded | selectattr('element', 'equalto', 'district') | list %}
    {%- for column in coded %}
        {%- do checks.append({'source': source_name, 'column': column,
                              'district': district[0] if district and column.element == 'street' else none}) %}
    {%- endfor %}
{%- endfor %}
{%- for check in checks %}

lookup__{{ loop.index }} as ({{ code_lookup_of(check.source, check.column.name) }}),
{%- if check.district %}

district_lookup__{{ loop.index }} as ({{ code_lookup_of(check.source, check.district.name) }}),
{%- endif %}
{%- endfor %}

unmapped as (
{%- for check in checks %}
    {%- set value = 'record.' ~ check.column.name %}
    {% if not loop.first %}union all
    {% endif -%}
    select
        '{{ check.source }}' as source,
        record.record_key,
        '{{ check.column.element }}' as element,
        cast({{ value }} as varchar) as raw_value,
        '{{ check.column.mapping_seed }}' as code_set
    from latest__{{ check.source }} as record
    {%- if check.district %}
    inner join district_lookup__{{ loop.index }} as district
        on district.lookup_key = upper(record.{{ check.district.name }})
    {%- endif %}
    where {{ value }} is not null
      and not exists (
        select 1 from lookup__{{ loop.index }} as lookup
        where lookup.lookup_key = upper({{ value }})
        {%- if check.district %} and lookup.district_code = district.code{% endif %}
      )
{%- endfor %}
{%- if not checks %}
    select cast(null as varchar) as source, cast(null as varchar) as record_key, cast(null as varchar) as element,
        cast(null as varchar) as raw_value, cast(null as varchar) as code_set
    where false
{%- endif %}
),

latest as (
{%- for source_name in contracts %}
    {% if not loop.first %}union all
    {% endif -%}
    select '{{ source_name }}' as source, record_key, partition_key from latest__{{ source_name }}
{%- endfor %}
{%- if not contracts %}
    select cast(null as varchar) as source, cast(null as varchar) as record_key, cast(null as date) as partition_key
    where false
{%- endif %}
)

select
    cast(latest.source as varchar) as source,
    cast(latest.record_key as varchar) as record_key,
    cast(latest.partition_key as date) as partition_key,
    cast(unmapped.element as varchar) as element,
    cast(unmapped.raw_value as varchar) as raw_value,
    cast(unmapped.code_set as varchar) as code_set
from latest
left join unmapped on unmapped.source = latest.source and unmapped.record_key = latest.record_key
