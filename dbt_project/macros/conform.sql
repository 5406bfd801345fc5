{#-
  Conformance of the departments' district / street values to the city standard codes (GB/T 2260 and the
  township codes of std_division_street). Everything is derived from the seeds: nothing here names a district.
-#}

{#- district_aliases_sql(): one row per accepted spelling (alias, district_code, match_rule). For each district:
    its 6-digit code; its name (东湖区); its short name without a trailing 区/市/县 (东湖); the name without the city
    prefix taken from std_division_city (示例新区 -> 新区); and name / short name with the city prefix, full or short
    (示例市东湖区, 示例东湖). An alias two districts would share at its best rule is dropped (it stays unmapped).
    The alias is in match_key form: compare it with match_key(raw value). -#}
{% macro district_aliases_sql() -%}
with city as (
    select
        cast(city_code as varchar) as city_code,
        cast(city_name as varchar) as city_name,
        regexp_replace(cast(city_name as varchar), '市$', '') as city_short_name
    from {{ ref('std_division_city') }}
),
district as (
    select
        cast(d.district_code as varchar) as district_code,
        cast(d.district_name as varchar) as district_name,
        regexp_replace(cast(d.district_name as varchar), '[区市县]$', '') as district_short_name,
        c.city_name,
        c.city_short_name
    from {{ ref('std_division_district') }} as d
    left join city as c on cast(d.city_code as varchar) = c.city_code
),
candidate as (
    select district_code, district_code as alias, 1 as rule_rank, 'code' as match_rule from district
    union all
    select district_code, district_name, 1, 'name' from district
    union all
    select district_code, city_name || district_name, 2, 'city_prefix_name' from district where city_name is not null
    union all
    select district_code, city_short_name || district_name, 2, 'city_prefix_name' from district
    where city_short_name is not null
    union all
    select district_code, district_short_name, 3, 'short_name' from district
    where length(district_short_name) >= 2 and district_short_name <> district_name
    union all
    select district_code, city_name || district_short_name, 3, 'city_prefix_short_name' from district
    where city_name is not null and length(district_short_name) >= 2
    union all
    select district_code, city_short_name || district_short_name, 3, 'city_prefix_short_name' from district
    where city_short_name is not null and length(district_short_name) >= 2
    union all
    select district_code, substr(district_name, length(city_short_name) + 1), 4, 'name_without_city_prefix'
    from district
    where city_short_name is not null
      and starts_with(district_name, city_short_name)
      and length(district_name) - length(city_short_name) >= 2
),
normalized as (
    select district_code, {{ match_key('alias') }} as alias, rule_rank, match_rule from candidate
),
best as (
    select alias, min(rule_rank) as rule_rank from normalized group by alias
)
select
    normalized.alias,
    min(normalized.district_code) as district_code,
    min(normalized.match_rule) as match_rule
from normalized
inner join best on normalized.alias = best.alias and normalized.rule_rank = best.rule_rank
group by normalized.alias
having count(distinct normalized.district_code) = 1
{%- endmacro %}

{#- street_aliases_sql(): (alias, street_code, district_code): a street's 9-digit code, its name (湖滨街道) and
    its short name without a trailing 街道/镇/乡/管委会 (湖滨), unique within the district, in match_key form. -#}
{% macro street_aliases_sql() -%}
with street as (
    select
        cast(street_code as varchar) as street_code,
        cast(street_name as varchar) as street_name,
        cast(district_code as varchar) as district_code,
        regexp_replace(cast(street_name as varchar), '(街道|镇|乡|管委会|办事处)$', '') as street_short_name
    from {{ ref('std_division_street') }}
),
candidate as (
    select street_code, district_code, {{ match_key('alias') }} as alias, rule_rank
    from (
        select street_code, district_code, street_code as alias, 1 as rule_rank from street
        union all
        select street_code, district_code, street_name, 1 from street
        union all
        select street_code, district_code, street_short_name, 2 from street
        where length(street_short_name) >= 2 and street_short_name <> street_name
    ) as spelling
),
best as (
    select district_code, alias, min(rule_rank) as rule_rank from candidate group by district_code, alias
)
select candidate.district_code, candidate.alias, min(candidate.street_code) as street_code
from candidate
inner join best
    on candidate.district_code = best.district_code
    and candidate.alias = best.alias
    and candidate.rule_rank = best.rule_rank
group by candidate.district_code, candidate.alias
having count(distinct candidate.street_code) = 1
{%- endmacro %}

{#- code_lookup_sql(seed, code_column, name_column): (lookup_key, code) where the key is the name or the code
    itself in match_key form, so a department may send either. Join it on match_key(raw value). Keys two codes
    would share are dropped. -#}
{% macro code_lookup_sql(seed, code_column, name_column) -%}
select lookup_key, min(code) as code
from (
    select {{ match_key(name_column) }} as lookup_key, cast({{ code_column }} as varchar) as code
    from {{ ref(seed) }}
    union all
    select {{ match_key(code_column) }}, cast({{ code_column }} as varchar)
    from {{ ref(seed) }}
) as keys
where lookup_key is not null
group by lookup_key
having count(distinct code) = 1
{%- endmacro %}

{#- safe_rate(numerator, denominator): DOUBLE ratio, NULL when the denominator is 0 or NULL. -#}
{% macro safe_rate(numerator, denominator) -%}
case when coalesce({{ denominator }}, 0) = 0 then null else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{#- contract_column(source_name, column_name): the column's entry in source_contracts() (name, type, formats, and for
    a coded column code_set, element, code_column, name_column, mapping_seed, mapping_seed_exists). -#}
{% macro contract_column(source_name, column_name) -%}
{%- set contract = source_contracts().get(source_name) -%}
{%- set found = (contract.columns if contract else []) | selectattr('name', 'equalto', column_name) | list -%}
{%- if not found -%}
    {{ exceptions.raise_compiler_error("contract_column: contracts declare no column " ~ source_name ~ "." ~ column_name) }}
{%- endif -%}
{{ return(found[0]) }}
{%- endmacro %}

{#- element_lookup_sql(source_name, column_name): (lookup_key, code, district_code) for a coded contract column: the
    source's mapping seed map_<element>__<source> (source_value -> standard_code) when it exists, then the standard
    code set's names and codes (districts and streets: their aliases; a street's key holds within its district,
    other elements have district_code NULL), keys in match_key form: join it on match_key(delivered value). -#}
{% macro element_lookup_sql(source_name, column_name) -%}
{%- set column = contract_column(source_name, column_name) -%}
{%- if column.element is not defined -%}
    {{ exceptions.raise_compiler_error("element_lookup_sql: " ~ source_name ~ "." ~ column_name ~ " has no code_set") }}
{%- endif -%}
with standard as (
    {%- if column.element == 'district' %}
    select alias as lookup_key, district_code as code, district_code from ({{ district_aliases_sql() }}) as spelling
    {%- elif column.element == 'street' %}
    select alias as lookup_key, street_code as code, district_code from ({{ street_aliases_sql() }}) as spelling
    {%- else %}
    select lookup_key, code, cast(null as varchar) as district_code
    from ({{ code_lookup_sql(column.code_set, column.code_column, column.name_column) }}) as names
    {%- endif %}
)
{%- if column.mapping_seed_exists %},
mapped as (
    select {{ match_key('map.source_value') }} as lookup_key, cast(map.standard_code as varchar) as code,
        {% if column.element == 'district' %}cast(map.standard_code as varchar){% elif column.element == 'street' %}cast(street.district_code as varchar){% else %}cast(null as varchar){% endif %} as district_code
    from {{ ref(column.mapping_seed) }} as map
    {%- if column.element == 'street' %}
    left join {{ ref(column.code_set) }} as street on cast(street.street_code as varchar) = cast(map.standard_code as varchar)
    {%- endif %}
)
select lookup_key, code, district_code from mapped
union all
select lookup_key, code, district_code from standard
where lookup_key not in (select lookup_key from mapped where lookup_key is not null)
{%- else %}
select lookup_key, code, district_code from standard
{%- endif %}
{%- endmacro %}

{#- element_codes_sql(relation, source_name, column_name): (<column_name>, code, district_code) for every distinct
    delivered value of the column in `relation`: its element_lookup_sql row, matched in match_key form. A model joins
    it on the delivered value itself, so match_key is computed once per distinct value, not once per record. -#}
{% macro element_codes_sql(relation, source_name, column_name) -%}
with lookup as ({{ element_lookup_sql(source_name, column_name) }})
select delivered.{{ column_name }}, lookup.code, lookup.district_code
from (select distinct {{ column_name }} from {{ relation }} where {{ column_name }} is not null) as delivered
left join lookup on lookup.lookup_key = {{ match_key('delivered.' ~ column_name) }}
{%- endmacro %}
