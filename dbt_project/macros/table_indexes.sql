{#-
  drop_indexes_on_relation(relation): dbt-duckdb's table materialization (and an incremental model's full refresh)
  looks up a table's indexes (a fetched query of duckdb_indexes()) and drops them before it swaps the table for the
  rebuilt one. A table has indexes only when its model configures `indexes` (dbt-duckdb's create_indexes); no model
  of this project does, so for every other model the answer is known and no statement runs. A model that configures
  `indexes` gets dbt-duckdb's lookup. (A model whose `indexes` config is removed keeps its indexes until its table is
  dropped: drop them by hand, or DuckDB refuses the rename.)
-#}
{% macro drop_indexes_on_relation(relation) -%}
{%- if config.get('indexes') -%}
    {%- do dbt_duckdb.drop_indexes_on_relation(relation) -%}
{%- endif -%}
{%- endmacro %}
