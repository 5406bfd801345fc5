{#-
  The view materialization: dbt's own (global_project, materializations/models/view.sql), except that a view whose
  statement has not changed since it was created is left as it is. Every run of a day selects the staging views of
  its sources, and dbt re-creates each one (a create, two renames, a drop, a commit: the first nodes of the run's
  critical path) although its SQL is the same every day: it reads the landed files by a glob, which the engine
  expands when the view is queried, so a newly landed partition needs no new view. Here the view remembers the
  fingerprint (md5) of the statement that created it (view_fingerprint, an engine-specific macro below); a run
  whose statement has the same fingerprint only looks it up. Anything that changes the SQL (a contract, a macro, the
  landing folder, a source landed for the first time) changes the fingerprint and re-creates the view, as does a
  full refresh, a relation that is not a view, or a hook that renders SQL. An engine without fingerprints
  re-creates every view, as dbt does.
  A day's run still selects its sources' views although they are unchanged on almost every day: leaving them out
  (`--exclude config.materialized:view --indirect-selection empty` keeps their data tests) would leave no run but
  the next full build to re-create a view whose SQL changed: a contract or macro deployed (`make setup` only
  parses), a source landed for the first time (its view reads an empty relation until then), another landing
  folder. Their nodes are the price of that check.
-#}
{%- materialization view, default -%}

  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
  {%- set preexisting_intermediate_relation = load_cached_relation(intermediate_relation) -%}
  {%- set backup_relation_type = 'view' if existing_relation is none else existing_relation.type -%}
  {%- set backup_relation = make_backup_relation(target_relation, backup_relation_type) -%}
  {%- set preexisting_backup_relation = load_cached_relation(backup_relation) -%}
  {% set grant_config = config.get('grants') %}
  {%- set create_sql = get_create_view_as_sql(intermediate_relation, sql) -%}
  {%- set fingerprint = local_md5(create_sql) -%}

  {%- set hook_sql = [] -%}
  {%- for hook in pre_hooks + post_hooks -%}
    {%- do hook_sql.append(render(hook.get('sql')) | trim) -%}
  {%- endfor -%}
  {%- set unchanged = existing_relation is not none and existing_relation.is_view and not should_full_refresh()
      and not (hook_sql | select | list) and not grant_config
      and view_fingerprint(target_relation) == fingerprint -%}

  {%- if unchanged -%}
    {% do store_raw_result('main', message='OK (view unchanged)', code=none, rows_affected=none) %}
    {{ return({'relations': [target_relation]}) }}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}

  {{ drop_relation_if_exists(preexisting_intermediate_relation) }}
  {{ drop_relation_if_exists(preexisting_backup_relation) }}

  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {{ create_sql }}
  {%- endcall %}

  {#- move the existing view out of the way (it may have been dropped since it was looked up) -#}
  {% if existing_relation is not none %}
    {% set existing_relation = load_cached_relation(existing_relation) %}
    {% if existing_relation is not none %}
        {{ adapter.rename_relation(existing_relation, backup_relation) }}
    {% endif %}
  {% endif %}
  {{ adapter.rename_relation(intermediate_relation, target_relation) }}
  {% do record_view_fingerprint(target_relation, fingerprint) %}

  {% set should_revoke = should_revoke(existing_relation, full_refresh_mode=True) %}
  {% do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}

  {% do persist_docs(target_relation, model) %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}

  {{ adapter.commit() }}

  {{ drop_relation_if_exists(backup_relation) }}

  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}

{%- endmaterialization -%}

{#- view_fingerprint(relation): the fingerprint recorded for the view when it was created, or none. -#}
{% macro view_fingerprint(relation) -%}
{{ return(adapter.dispatch('view_fingerprint', 'citybrain')(relation)) }}
{%- endmacro %}

{% macro default__view_fingerprint(relation) -%}
{{ return(none) }}
{%- endmacro %}

{#- DuckDB keeps it as the view's comment (a comment of documentation, persist_docs, would replace it: the view
    would then be re-created every run, as dbt does). -#}
{% macro duckdb__view_fingerprint(relation) -%}
{%- set found = run_query("select comment from duckdb_views() where database_name = '" ~ relation.database
    ~ "' and schema_name = '" ~ relation.schema ~ "' and view_name = '" ~ relation.identifier ~ "'") -%}
{%- set comment = found.rows[0][0] if found.rows else none -%}
{{ return(comment[('view sql md5 ' | length):] if comment and comment.startswith('view sql md5 ') else none) }}
{%- endmacro %}

{#- record_view_fingerprint(relation, fingerprint): in the transaction that creates the view. -#}
{% macro record_view_fingerprint(relation, fingerprint) -%}
{{ return(adapter.dispatch('record_view_fingerprint', 'citybrain')(relation, fingerprint)) }}
{%- endmacro %}

{% macro default__record_view_fingerprint(relation, fingerprint) -%}
{%- endmacro %}

{% macro duckdb__record_view_fingerprint(relation, fingerprint) -%}
{% call statement('record_view_fingerprint') -%}
comment on view {{ relation }} is 'view sql md5 {{ fingerprint }}'
{%- endcall %}
{%- endmacro %}
