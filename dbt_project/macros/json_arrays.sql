{#-
  Nested JSON values landed as JSON text (a JSON column of a contract), unnested in the int_ layer. The SQL is
  engine-specific, so each macro dispatches by adapter; DuckDB's JSON functions implement them.
-#}

{#- json_array_elements(relation, columns, json_column): one row per element of the JSON array in `json_column` of
    `relation` (a CTE name or a parenthesized query): `columns` carried over, `element_seq` (1-based position) and
    `element` (JSON). Rows whose value is not a JSON array give no row. -#}
{% macro json_array_elements(relation, columns, json_column) -%}
{{ return(adapter.dispatch('json_array_elements')(relation, columns, json_column)) }}
{%- endmacro %}

{% macro duckdb__json_array_elements(relation, columns, json_column) -%}
select
    {% for column in columns %}{{ column }}, {% endfor %}
    unnest(range(1, json_array_length(json_array)::bigint + 1)) as element_seq,
    unnest(from_json(json_array, '["json"]')) as element
from (
    select {% for column in columns %}{{ column }}, {% endfor %}try_cast({{ json_column }} as json) as json_array
    from {{ relation }}
    where json_valid({{ json_column }})
) as arrays
where json_type(json_array) = 'ARRAY'
{%- endmacro %}

{% macro default__json_array_elements(relation, columns, json_column) -%}
{{ exceptions.raise_compiler_error("json_array_elements: no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- json_member_text(element, key): the member `key` of a JSON object as text (a nested value as JSON text). -#}
{% macro json_member_text(element, key) -%}
{{ return(adapter.dispatch('json_member_text')(element, key)) }}
{%- endmacro %}

{% macro duckdb__json_member_text(element, key) -%}
({{ element }} ->> '{{ key }}')
{%- endmacro %}

{% macro default__json_member_text(element, key) -%}
{{ exceptions.raise_compiler_error("json_member_text: no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}
