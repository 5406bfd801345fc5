{#-
  Facts conformed with an older city standard. Every incremental model records, after each build, a fingerprint of
  the content of each seed it is built from (directly or through upstream models) in
  ops.incremental_standard_fingerprints. An incremental run compares them with the seeds in the warehouse now, in
  the transaction that writes its rows: when a seed changed (or one it is built from now was not recorded: a new
  mapping seed), its rows still carry the old conformance, so the run stops with one line saying how to rebuild
  them (a full refresh rebuilds from all landed partitions, see windows.sql) and its rows roll back.
  Content, not file checksums: the warehouse's seeds change only when the city standard job loads them.
  A run that loads no seed (every governance run) fingerprints each seed once, at its start, into
  ops.standard_fingerprints_of_run (by invocation id): the seeds cannot change while it runs (upstream seeds are
  built before a model, and the standard job holds the warehouse lock), so every model's check and record read
  those rows instead of hashing its seeds. A run that loads seeds hashes them in each model, after they load.
-#}

{% macro standard_fingerprints_relation() -%}
{{ return(api.Relation.create(database=target.database, schema='ops', identifier='incremental_standard_fingerprints')) }}
{%- endmacro %}

{#- seeds_upstream_of(unique_id): the seed nodes a node is built from, directly or through upstream models. -#}
{% macro seeds_upstream_of(unique_id) -%}
{%- set found = namespace(frontier=[unique_id], seen=[], seeds=[]) -%}
{%- for _ in range(50) if found.frontier -%}
    {%- set next_frontier = [] -%}
    {%- for node_id in found.frontier -%}
        {%- for parent in graph.nodes[node_id].depends_on.nodes if parent not in found.seen and parent in graph.nodes -%}
            {%- do found.seen.append(parent) -%}
            {%- if graph.nodes[parent].resource_type == 'seed' -%}
                {%- do found.seeds.append(graph.nodes[parent]) -%}
            {%- else -%}
                {%- do next_frontier.append(parent) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set found.frontier = next_frontier -%}
{%- endfor -%}
{{ return(found.seeds | sort(attribute='name')) }}
{%- endmacro %}

{% macro run_fingerprints_relation() -%}
{{ return(api.Relation.create(database=target.database, schema='ops', identifier='standard_fingerprints_of_run')) }}
{%- endmacro %}

{#- run_loads_no_seed(): the invocation selects no seed, so the seeds stay as they are while it runs. -#}
{% macro run_loads_no_seed() -%}
{%- for node_id in selected_resources if node_id in graph.nodes and graph.nodes[node_id].resource_type == 'seed' -%}
    {{ return(false) }}
{%- endfor -%}
{{ return(true) }}
{%- endmacro %}

{#- seed_fingerprints_sql(unique_id): (seed, fingerprint) of each upstream seed as loaded: an md5 over its rows'
    md5s in sorted order, so row order does not matter and any changed, added or removed row does. In a run that
    loads no seed, read from the fingerprints taken at its start (a seed missing there never matches: changed). -#}
{% macro seed_fingerprints_sql(unique_id) -%}
{%- set seeds = seeds_upstream_of(unique_id) -%}
{%- if seeds and run_loads_no_seed() -%}
select upstream.seed, coalesce(of_run.fingerprint, 'none taken by run {{ invocation_id }}') as fingerprint
from (values {% for seed in seeds %}('{{ seed.name }}'){% if not loop.last %}, {% endif %}{% endfor %}) as upstream (seed)
left join {{ run_fingerprints_relation() }} as of_run
    on of_run.seed = upstream.seed and of_run.invocation_id = '{{ invocation_id }}'
{%- else -%}
{{ return(hashed_seed_fingerprints_sql(seeds)) }}
{%- endif -%}
{%- endmacro %}

{% macro hashed_seed_fingerprints_sql(seeds) -%}
{{ return(adapter.dispatch('hashed_seed_fingerprints_sql', 'citybrain')(seeds)) }}
{%- endmacro %}

{% macro duckdb__hashed_seed_fingerprints_sql(seeds) -%}
{%- for seed in seeds %}
{% if not loop.first %}union all
{% endif -%}
select '{{ seed.name }}' as seed,
    coalesce(md5(string_agg(md5(cast(seed_row as varchar)), ',' order by md5(cast(seed_row as varchar)))), '')
        as fingerprint
from {{ api.Relation.create(database=seed.database, schema=seed.schema, identifier=seed.alias) }} as seed_row
{%- endfor %}
{%- endmacro %}

{#- standard_changed_sql(seeds_now_sql): the seeds {{ this }} is built from now whose fingerprint differs
    from the one recorded when it was built (a seed it is built from now that it was not built with, a new mapping
    seed, counts as changed); none when nothing was recorded for it. -#}
{% macro standard_changed_sql(seeds_now_sql) -%}
{%- set built = "select seed, fingerprint from " ~ standard_fingerprints_relation()
    ~ " where model = '" ~ this.identifier ~ "'" -%}
select now.seed from ({{ seeds_now_sql }}) as now left join ({{ built }}) as built on built.seed = now.seed
where built.fingerprint is distinct from now.fingerprint and exists ({{ built }})
{%- endmacro %}

{#- standard_changed_message_sql(): the one line an incremental run of {{ this }} stops with when its seeds changed,
    as an SQL expression over the rows `changed` of standard_changed_sql (it names them). A full refresh rebuilds
    from all landed partitions whatever its range: it offers this run's days (without a window, the latest
    partition built). -#}
{% macro standard_changed_message_sql() -%}
{%- set start = window_bound('window_start') or window_bound('window_end') -%}
{%- set end = window_bound('window_end') or start -%}
{%- if start is not none -%}
    {%- set start_sql = "'" ~ start ~ "'" -%}
{%- elif 'partition_key' in model.columns -%}
    {%- set start_sql = "coalesce(cast((select max(partition_key) from " ~ this ~ ") as varchar), 'None')" -%}
{%- else -%}
    {%- set start_sql = "'None'" -%}
{%- endif -%}
'The city standard changed since {{ this.schema }}.{{ this.identifier }} was built (seeds: '
    || {{ listagg('changed.seed', "', '", 'order by changed.seed') }}
    || '): its rows still carry the old codes. Rebuild every incremental model from all landed partitions: '
    || 'python -m pipelines.cli build --full-refresh --start ' || {{ start_sql }}
    || ' --end ' || {{ "'" ~ end ~ "'" if end is not none else start_sql }}
    || ' (in the UI: daily_governance_job with config full_refresh: true)'
{%- endmacro %}

{#- stop_when_standard_changed_sql(changed_sql): a statement that fails with standard_changed_message_sql when
    changed_sql finds seeds, and does nothing otherwise. -#}
{% macro stop_when_standard_changed_sql(changed_sql) -%}
{{ return(adapter.dispatch('stop_when_standard_changed_sql', 'citybrain')(changed_sql)) }}
{%- endmacro %}

{% macro duckdb__stop_when_standard_changed_sql(changed_sql) -%}
select error({{ standard_changed_message_sql() }})
from ({{ changed_sql }}) as changed
having count(*) > 0
{%- endmacro %}

{#- create_standard_fingerprints_table(): on-run-start (once per run, not in parallel model threads); in a run that
    loads no seed, also the fingerprints of the seeds its incremental models are built from. -#}
{% macro create_standard_fingerprints_table() -%}
{%- set relation = standard_fingerprints_relation() -%}
{%- set of_run = run_fingerprints_relation() -%}
create schema if not exists {{ relation.schema }};
create table if not exists {{ relation }} (
    model varchar, seed varchar, fingerprint varchar, recorded_at timestamp with time zone
);
create table if not exists {{ of_run }} (invocation_id varchar, seed varchar, fingerprint varchar);
delete from {{ of_run }};
{%- if execute and run_loads_no_seed() %}
{%- set seeds = {} %}
{%- for node_id in selected_resources if node_id in graph.nodes and graph.nodes[node_id].resource_type == 'model'
        and graph.nodes[node_id].config.materialized == 'incremental' %}
    {%- for seed in seeds_upstream_of(node_id) %}{% do seeds.update({seed.unique_id: seed}) %}{% endfor %}
{%- endfor %}
{%- if seeds %}
insert into {{ of_run }}
select '{{ invocation_id }}', seed, fingerprint from (
{{ hashed_seed_fingerprints_sql(seeds.values() | sort(attribute='name')) }}
) as hashed;
{%- endif %}
{%- endif %}
{%- endmacro %}

{#- check_and_record_standard_fingerprints(): post-hook of every incremental model (dbt_project.yml), inside the
    transaction that writes its rows. An incremental run first stops when the seeds it was built with changed since
    (the transaction rolls back: the model stays as it was built); then the fingerprints it is built with now are
    recorded. One statement, with the seeds upstream found once: a check in a pre-hook was one more query per model,
    fetched. Nothing on other materializations. -#}
{% macro check_and_record_standard_fingerprints() -%}
{%- if execute and model.config.materialized == 'incremental' -%}
{%- set sql = seed_fingerprints_sql(model.unique_id) -%}
{%- set relation = standard_fingerprints_relation() -%}
{%- if is_incremental() and sql | trim %}
{{ stop_when_standard_changed_sql(standard_changed_sql(sql)) }};
{%- endif %}
delete from {{ relation }} where model = '{{ this.identifier }}';
{%- if sql | trim %}
insert into {{ relation }}
select '{{ this.identifier }}', seed, fingerprint, current_timestamp from ({{ sql }}) as now;
{%- endif %}
{%- endif -%}
{%- endmacro %}
