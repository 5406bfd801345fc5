{#-
  Every delivered value of a coded contract column (a column with a code_set) that does not conform to the city
  standard, counted over the latest version of every record, with the seed to create or extend: the source's
  mapping seed map_<element>__<source> (source_value, standard_code). Derived from the contracts (macro
  source_contracts()), over the staging models, with the same lookup the int_ models conform with
  (element_lookup_sql). A street counts only where the record's district conformed (streets are looked up within
  the district).
-#}
{%- set checks = [] -%}
{%- for source_name, contract in source_contracts().items() -%}
    {%- set coded = contract.columns | selectattr('element', 'defined') | list -%}
    {%- set district = coded | selectattr('element', 'equalto', 'district') | list -%}
    {%- for column in coded -%}
        {%- do checks.append({'source': source_name, 'contract': contract, 'column': column,
                              'district': district[0] if district and column.element == 'street' else none}) -%}
    {%- endfor -%}
{%- endfor %}

with
{%- for source_name, contract in source_contracts().items() if contract.columns | selectattr('element', 'defined') | list %}
latest__{{ source_name }} as (
    select
        {{ (contract.record_key + (contract.columns | selectattr('element', 'defined') | map(attribute='name') | reject('in', contract.record_key) | list)) | join(', ') }},
        partition_key, _source_file, _source_row
    from {{ ref(contract.staging_model) }}
    where {% for key in contract.record_key %}{{ key }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
    qualify row_number() over (
        partition by {{ contract.record_key | join(', ') }} order by {{ latest_version_order() }}
    ) = 1
),
{%- endfor %}
{%- for check in checks %}
lookup__{{ loop.index }} as ({{ element_lookup_sql(check.source, check.column.name) }}),
{%- if check.district %}
district_lookup__{{ loop.index }} as ({{ element_lookup_sql(check.source, check.district.name) }}),
{%- endif %}
{%- endfor %}
unmapped as (
{%- for check in checks %}
    {%- set value = 'record.' ~ check.column.name %}
    {% if not loop.first %}union all
    {% endif -%}
    select
        '{{ check.source }}' as source,
        '{{ check.column.element }}' as element,
        cast({{ value }} as varchar) as raw_value,
        count(*) as rows,
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
    group by all
{%- endfor %}
{%- if not checks %}
    select null as source, null as element, null as raw_value, 0 as rows, null as code_set where false
{%- endif %}
)

select
    cast(source as varchar) as source,
    cast(element as varchar) as element,
    cast(raw_value as varchar) as raw_value,
    cast(rows as bigint) as rows,
    cast(code_set as varchar) as code_set
from unmapped
