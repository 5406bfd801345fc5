{#-
  dbt-duckdb's list_schemas compares the catalog with the database as dbt passes it, quoted ("city"): it never found
  a schema, so every run created each of its schemas again as it started (a connection, a transaction and a
  statement each). Here the catalog is compared unquoted; dbt creates a schema only when it is missing.
-#}
{% macro duckdb__list_schemas(database) -%}
  {% set sql %}
    select schema_name
    from system.information_schema.schemata
    {% if database is not none %}
    where lower(catalog_name) = '{{ database | replace('"', '') | lower }}'
    {% endif %}
  {% endset %}
  {{ return(run_query(sql)) }}
{%- endmacro %}
