{#- clean_text(expr): full-width to half-width (normalize_text), trimmed, empty string to NULL. -#}
{% macro clean_text(expr) -%}
nullif(trim({{ normalize_text(expr) }}), '')
{%- endmacro %}

{#- clean_code(expr): like clean_text, and every inner space removed (codes and names of codes). -#}
{% macro clean_code(expr) -%}
nullif(replace({{ clean_text(expr) }}, ' ', ''), '')
{%- endmacro %}

{#- match_key(expr): the one form in which a delivered value and a seed value are compared (names, aliases, codes,
    a street name inside an address): normalize_text (full-width, brackets, odd spaces), every whitespace
    character removed, upper case. Both sides of every match go through it, so a seed written with （） matches a
    delivery written with () and the other way round. -#}
{% macro match_key(expr) -%}
nullif(upper(regexp_replace({{ normalize_text(expr) }}, '\s', '', 'g')), '')
{%- endmacro %}

{#- parse_decimal(expr, type): a number as delivered (full-width digits, thousands separators, yuan sign allowed). -#}
{% macro parse_decimal(expr, type='decimal(18, 2)') -%}
try_cast(regexp_replace({{ clean_text(expr) }}, '[,\s¥￥元]', '', 'g') as {{ type }})
{%- endmacro %}

{#- parse_boolean_zh(expr): 是/否 (and the usual y/n, true/false, 1/0) to boolean; anything else NULL. -#}
{% macro parse_boolean_zh(expr) -%}
case
    when lower({{ clean_code(expr) }}) in ('是', 'y', 'yes', 'true', 't', '1', '√') then true
    when lower({{ clean_code(expr) }}) in ('否', 'n', 'no', 'false', 'f', '0', '×') then false
end
{%- endmacro %}

{#- sql_text_list(values): a SQL list literal of text values, ['a', 'b'] (quotes doubled). -#}
{% macro sql_text_list(values) -%}
[{% for value in values %}'{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endmacro %}

{#- byte_length(expr): the length of a text value in bytes (UTF-8), where length() counts characters. -#}
{% macro byte_length(expr) -%}
{{ return(adapter.dispatch('byte_length')(expr)) }}
{%- endmacro %}

{% macro duckdb__byte_length(expr) -%}
strlen({{ expr }})
{%- endmacro %}

{% macro default__byte_length(expr) -%}
octet_length({{ expr }})
{%- endmacro %}
