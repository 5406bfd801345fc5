{#-
  The data test materialization: dbt's own (global_project, materializations/tests/test.sql), except that a test
  stores its failing rows (`store_failures`, as a view or a table) only when it fails or warns. dbt's stores them
  for every test before counting them: a drop, a create and a commit per test, three statements more than the
  count, on every run, for the few tests that ever fail. Here the count runs first, on the test's own query; a
  test that fails or warns then stores its rows (where Dagster's check finds them,
  pipelines/quality/dbt_test_failures.py), and a passing test drops the rows an earlier failure left (no statement
  when there are none: dbt's relation cache knows). A view is stored in one statement that replaces the one an
  earlier failure left (the same tests fail every day a warning stands: a drop, a begin, a create and a commit
  were four), run outside a transaction like the count; a table, or a view where a table was, is dropped first.
-#}
{%- materialization test, default -%}

  {% set relations = [] %}
  {% set limit = config.get('limit') %}
  {% set sql_header = config.get('sql_header') if flags.REQUIRE_SQL_HEADER_IN_TEST_CONFIGS else none %}

  {% set sql_with_limit %}
    {{ get_limit_subquery_sql(sql, limit) }}
  {% endset %}

  {#- a count needs no transaction of its own (auto_begin: dbt would send a BEGIN first) -#}
  {% call statement('main', fetch_result=True, auto_begin=False) -%}
    {% if sql_header %}{{ sql_header }}{% endif %}
    {{ get_test_sql(sql_with_limit, config.get('fail_calc'), config.get('warn_if'), config.get('error_if'), limit=none) }}
  {%- endcall %}

  {% if should_store_failures() %}
    {% set counted = load_result('main')['table'].rows[0] %}
    {% set failing = counted['should_warn'] or counted['should_error'] %}
    {% set store_failures_as = config.get('store_failures_as') or 'table' %}
    {% if store_failures_as not in ['table', 'view'] %}
      {{ exceptions.raise_compiler_error("'" ~ store_failures_as ~ "' is not a valid value for `store_failures_as`. "
                                         "Accepted values are: ['table', 'view']") }}
    {% endif %}
    {% set target_relation = api.Relation.create(identifier=model['alias'], schema=schema, database=database,
                                                 type=store_failures_as) %}
    {% set old_relation = adapter.get_relation(database=database, schema=schema, identifier=model['alias']) %}
    {% set replace_view = failing and target_relation.is_view and (old_relation is none or old_relation.is_view) %}
    {% if old_relation and not replace_view %}
      {% do adapter.drop_relation(old_relation) %}
    {% endif %}
    {% if replace_view %}
      {% call statement(auto_begin=False) %}
        {% if sql_header %}{{ sql_header }}{% endif %}
        create or replace view {{ target_relation }} as (
          {{ sql_with_limit }}
        )
      {% endcall %}
      {% do relations.append(target_relation) %}
    {% elif failing %}
      {% call statement(auto_begin=True) %}
        {% if sql_header %}{{ sql_header }}{% endif %}
        {{ get_create_sql(target_relation, sql_with_limit) }}
      {% endcall %}
      {% do relations.append(target_relation) %}
      {{ adapter.commit() }}
    {% endif %}
  {% endif %}

  {{ return({'relations': relations}) }}

{%- endmaterialization -%}

