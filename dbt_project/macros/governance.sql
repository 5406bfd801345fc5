{#-
  Cross-department governance (docs/governance.md): the place of a record, from its address text.

  address_place_key(expr): the road address (道路门牌, e.g. 中山路12号) in an address text, in match_key form: the
  last run of characters that is not a division word (市 区 县 街道 镇 社区 村) ending in 路/街/巷/道/弄 and a house
  number with 号. NULL when the text holds none. Two reports of one matter written differently (with or without
  city, district, street and community) give the same key. The pattern is the var governance_address_pattern.
-#}
{% macro address_place_key(expr) -%}
nullif(regexp_extract({{ match_key(expr) }}, '{{ var("governance_address_pattern") }}', 1), '')
{%- endmacro %}

{#-
  community_in_address(relation, id_column, address_key_column, street_column, district_column): a select of
  (record key, community_code): the community of the record's street (or, without a street, of its district) whose name, as
  addresses write it (XX社区 for XX(社区)居委会, XX村 for XX村委会), appears in the address key; the longest wins.
-#}
{% macro community_in_address(relation, id_column, address_key_column, street_column, district_column) -%}
{%- set community -%}
(
    select
        cast(community_code as varchar) as community_code,
        cast(street_code as varchar) as street_code,
        cast(district_code as varchar) as district_code,
        {{ match_key("regexp_replace(regexp_replace(community_name, '(社区)?居委会$', '社区'), '村委会$', '村')") }}
            as community_key
    from {{ ref('std_division_community') }}
) as community
{%- endset -%}
select {{ id_column }}, community_code
from (
    -- two joins, not one with an OR: a record with a street is compared with that street's communities only (a
    -- hash join on district and street), not with every community of its district
    select r.{{ id_column }}, community.community_code, community.community_key
    from {{ relation }} as r
    inner join {{ community }}
        on community.district_code = r.{{ district_column }}
        and community.street_code = r.{{ street_column }}
        and contains(r.{{ address_key_column }}, community.community_key)
    union all
    select r.{{ id_column }}, community.community_code, community.community_key
    from {{ relation }} as r
    inner join {{ community }}
        on community.district_code = r.{{ district_column }}
        and contains(r.{{ address_key_column }}, community.community_key)
    where r.{{ street_column }} is null
) as named
qualify row_number() over (
    partition by {{ id_column }} order by length(community_key) desc, community_code
) = 1
{%- endmacro %}

{#- source_department_code(source_column): the department code each source's contract names (source_contracts()). -#}
{% macro source_department_code(source_column) -%}
case {{ source_column }}
{%- for source, contract in source_contracts().items() %}
    when '{{ source }}' then '{{ contract.department_code }}'
{%- endfor %}
end
{%- endmacro %}
