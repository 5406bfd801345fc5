{#- materialized_cte(): the keyword after `name as` that makes the engine compute a CTE once for all its references
    (DuckDB: `materialized`); empty where the engine has no such hint. Use it on a CTE that reads an expensive view
    several times. -#}
{% macro materialized_cte() -%}
{{ return(adapter.dispatch('materialized_cte', 'citybrain')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
materialized
{%- endmacro %}
