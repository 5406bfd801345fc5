{#- The landed columns listed for unit-test fixtures (macro landed_columns) are exactly the contract columns
    declared in the source YAML files (lineage columns excluded). A row per difference. -#}
{{ config(severity='error') }}
{%- set rows = [] -%}
{%- if execute -%}
{%- set lineage = landed_lineage_columns() | map(attribute=0) | list -%}
{%- set listed = landed_columns() -%}
{%- for node in graph.sources.values() if node.package_name == project_name -%}
    {%- set key = node.source_name ~ '.' ~ node.name -%}
    {%- set declared = node.columns.keys() | reject('in', lineage) | list -%}
    {%- set in_macro = listed.get(key, []) -%}
    {%- for name in declared if name not in in_macro %}{% do rows.append((key, name, 'declared in source YAML, missing in landed_columns()')) %}{% endfor -%}
    {%- for name in in_macro if name not in declared %}{% do rows.append((key, name, 'in landed_columns(), not declared in source YAML')) %}{% endfor -%}
{%- endfor -%}
{%- endif %}
{%- if rows %}
{%- for key, name, problem in rows %}
select '{{ key }}' as source_table, '{{ name }}' as column_name, '{{ problem }}' as problem
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- else %}
select null as source_table, null as column_name, null as problem
where false
{%- endif %}
