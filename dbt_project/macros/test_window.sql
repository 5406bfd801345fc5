{#-
  Data tests of what a run rebuilds check the run's window, not the whole table. A test's rows are narrowed to
  the run's window (macro partition_window_filter on `partition_key`) when the tested relation carries the landed
  partition: a landed source, a staging view or an incremental model with a partition_key column. Monthly data (a
  source whose meta says `partitioning: monthly`, and every model built from one) compares months, weekly data
  weeks. Without a window,
  or with `full_table_tests` true (env var CITYBRAIN_FULL_TABLE_TESTS, or the var; macros/windows.sql,
  run_setting), every test checks the whole table. A test's own `where` config still applies.
  Overrides dbt's get_where_subquery, the documented hook for the `where` config.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set window = test_window_condition() -%}
    {%- if window -%}{%- do conditions.append(window) -%}{%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The window predicate for the current test, or none when it checks the whole table. -#}
{% macro test_window_condition() -%}
    {%- if not execute or (run_setting('full_table_tests') | string | lower) == 'true' or not window_is_set() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tested = tested_node() -%}
    {%- if tested is none or not is_partitioned_relation(tested) -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(partition_window_filter('partition_key', grain=partition_grain(tested))) }}
{%- endmacro %}

{#- The model or source a generic test is attached to (its `model` argument). -#}
{% macro tested_node() -%}
    {%- set attached = model.get('attached_node') -%}
    {%- if attached and attached in graph.nodes -%}
        {{ return(graph.nodes[attached]) }}
    {%- endif -%}
    {%- set parents = model.depends_on.nodes -%}
    {%- if parents | length == 1 and parents[0] in graph.sources -%}
        {{ return(graph.sources[parents[0]]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro is_partitioned_relation(node) -%}
    {%- if node.resource_type == 'source' -%}
        {{ return(true) }}
    {%- endif -%}
    {#- an incremental model without a partition_key column (rebuilt by month, say) is tested whole -#}
    {{ return(node.resource_type == 'model' and node.config.materialized in ('incremental', 'view')
        and 'partition_key' in node.columns) }}
{%- endmacro %}

{#- 'month' when the node is, or is built from, a monthly source; else 'week' when from a weekly one; else 'day'. -#}
{% macro partition_grain(node) -%}
    {%- if node.resource_type == 'source' -%}
        {%- set meta = node.config.get('meta') or node.get('meta') or {} -%}
        {{ return({'monthly': 'month', 'weekly': 'week'}.get(meta.get('partitioning'), 'day')) }}
    {%- endif -%}
    {%- set grains = [] -%}
    {%- for parent_id in node.depends_on.nodes -%}
        {%- set parent = graph.sources.get(parent_id) or graph.nodes.get(parent_id) -%}
        {%- if parent and parent.resource_type in ('source', 'model') -%}
            {%- do grains.append(partition_grain(parent)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('month' if 'month' in grains else 'week' if 'week' in grains else 'day') }}
{%- endmacro %}
