{#-
  Incremental models and corrections. A run rebuilds the records of its window's landed partitions: every record
  that has a version there now, and every record whose built version came from there (a re-landed partition may no
  longer hold it). Their latest version is taken from all landed history, so a record re-landed without its newest
  version falls back to the older one, and one that is gone everywhere is deleted by delete_versions_gone_from.
-#}

{#- latest_version_order(): the ORDER BY (within one record key) that puts the latest landed version first:
    latest partition_key, then the latest file, then the last row in it. -#}
{% macro latest_version_order() -%}
partition_key desc, _source_file desc, _source_row desc
{%- endmacro %}

{#- latest_version_rows(versions, record_key): the rows of `versions` (a relation of landed versions) that are the
    latest version of their record key (a list of columns), as row_number() over latest_version_order() = 1 picks
    them, without sorting every version: a record with one version is its own latest, and only the versions of the
    other records' latest partition are sorted (an enterprise register delivers each company in every monthly
    snapshot). A version with a NULL key part is left out (a key equality never holds), so `versions` needs no
    `is not null` filter, which a staging view would compute by normalizing the key a second time. -#}
{% macro latest_version_rows(versions, record_key) -%}
{%- set same_record %}{% for key in record_key %}record.{{ key }} = version.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}{% endset -%}
with record as (
    select {{ record_key | join(', ') }}, count(*) as versions, max(partition_key) as partition_key
    from {{ versions }}
    group by all
)
select version.* from {{ versions }} as version
semi join record on {{ same_record }} and record.versions = 1
union all
select * from (
    select version.* from {{ versions }} as version
    semi join record
        on {{ same_record }} and record.versions > 1
        and record.partition_key is not distinct from version.partition_key
)
qualify row_number() over (partition by {{ record_key | join(', ') }} order by {{ latest_version_order() }}) = 1
{%- endmacro %}

{#- keys_built_in_window(record_key, grain): in an incremental run with a window, the record keys of {{ this }}
    whose built version came from the window's partitions; otherwise nothing (`none`). A model run asks first
    whether there are any: on a new day there are none, and the SQL then has no branch that reads history (a
    branch that finds nothing still opens the upstream's files). A unit test's {{ this }} is a fixture: it keeps
    the branch. -#}
{% macro keys_built_in_window(record_key, grain='day') -%}
{%- if not (is_incremental() and window_is_set()) -%}
{{ return(none) }}
{%- endif -%}
{%- set keys_sql = 'select ' ~ record_key ~ ' from ' ~ this ~ ' where ' ~ partition_window_filter('partition_key', grain=grain) -%}
{%- if execute and model.resource_type == 'model' -%}
    {%- set found = run_query('select exists (' ~ keys_sql ~ ')') -%}
    {%- if not found.columns[0].values()[0] -%}
        {{ return(none) }}
    {%- endif -%}
{%- endif -%}
{{ return(keys_sql) }}
{%- endmacro %}

{#- no_window_version_built_before(): the comment latest_versions_in_window and records_in_window put in a model's
    SQL when, in an incremental run with a window, no built row came from the window's partitions (a new day). The
    model's post-hook (delete_versions_gone_from) reads it from the compiled SQL: every row of the window is then
    one this run inserted from the upstream's window, so there is nothing to delete and the upstream is not read
    again. -#}
{% macro no_window_version_built_before() -%}
/* no built version came from the window */
{%- endmacro %}

{#- latest_versions_in_window(staging_model, record_key, grain): one row per record key (its latest landed version)
    for the records of the window; all records when no window is set. An incremental run reads only the window's
    partitions of the staging model, not all landed history: the built table already holds every other record's
    latest version, so a record whose built version comes from a later partition than its window version is left
    as built (it is not in the rows), and one whose built version is older is replaced. Only the records whose
    built version came from the window (a re-run or a re-landed partition, which may have lost them) are looked up
    in all landed history (versions_outside_window); on a new day there are none, and no history is read. -#}
{% macro latest_versions_in_window(staging_model, record_key, grain='day') -%}
{%- if is_incremental() and window_is_set() -%}
{%- set in_window = partition_window_filter('partition_key', grain=grain) -%}
{%- set built_keys = keys_built_in_window(record_key, grain) -%}
{%- if not built_keys %}{{ no_window_version_built_before() }}
{% endif -%}
select latest.*
from (
    select * from (
        select * from {{ ref(staging_model) }}
        where {{ record_key }} is not null and {{ in_window }}
        {%- if built_keys %}
        union all
        {{ versions_outside_window(staging_model, record_key, built_keys, grain) }}
        {%- endif %}
    ) as version
    qualify row_number() over (partition by {{ record_key }} order by {{ latest_version_order() }}) = 1
) as latest
where not exists (
    select 1 from {{ this }} as built
    where built.{{ record_key }} = latest.{{ record_key }}
      and built.partition_key > latest.partition_key
      and not {{ partition_window_filter('built.partition_key', grain=grain) }}
)
{%- else -%}
select *
from {{ ref(staging_model) }}
where {{ record_key }} is not null
{%- if window_is_set() %}
  and {{ record_key }} in (
    select {{ record_key }} from {{ ref(staging_model) }}
    where {{ partition_window_filter('partition_key', grain=grain) }}
  )
{%- endif %}
qualify row_number() over (partition by {{ record_key }} order by {{ latest_version_order() }}) = 1
{%- endif -%}
{%- endmacro %}

{#- records_in_window(upstream_model, record_key, grain): the upstream rows (one per key) of the window's records:
    those whose version is in the window's partitions, and those whose built version was. Two parts, not one OR:
    the first reads only the window's rows, and the second is left out when no built version came from the
    window (a new day), so neither reads the whole upstream table. -#}
{% macro records_in_window(upstream_model, record_key, grain='day') -%}
{%- set built_keys = keys_built_in_window(record_key, grain) -%}
{%- if is_incremental() and window_is_set() and not built_keys %}{{ no_window_version_built_before() }}
{% endif -%}
select * from {{ ref(upstream_model) }}
where {{ partition_window_filter('partition_key', grain=grain) }}
{%- if built_keys %}
union all
{{ versions_outside_window(upstream_model, record_key, built_keys, grain) }}
{%- endif %}
{%- endmacro %}

{#- versions_outside_window(upstream_model, record_key, keys_sql, grain): the upstream rows outside the window's
    partitions of the record keys that keys_sql selects. They are found by the key and partition_key columns alone,
    and only then are their whole rows read: a re-run of a day (whose records have no other version, mostly)
    cleans and reads one column of the upstream's history instead of all of them. -#}
{% macro versions_outside_window(upstream_model, record_key, keys_sql, grain='day') -%}
{%- set outside_window = 'not ' ~ partition_window_filter('partition_key', grain=grain) -%}
select * from {{ ref(upstream_model) }} as version
where version.{{ record_key }} is not null and {{ outside_window }}
  and exists (
    select 1
    from (
        select {{ record_key }}, partition_key from {{ ref(upstream_model) }}
        where {{ outside_window }} and {{ record_key }} in ({{ keys_sql }})
    ) as found
    where found.{{ record_key }} = version.{{ record_key }} and found.partition_key = version.partition_key
  )
{%- endmacro %}

{#- delete_versions_gone_from(upstream_model, record_key, grain): post-hook of an incremental model. Deletes the
    built rows of the window's partitions whose version (record key, partition_key) the upstream no longer has:
    a record removed from a re-landed partition (and landed nowhere else) leaves the model without a full refresh.
    Every other record of the window was just rebuilt from its latest version, which the upstream still has. Only
    the upstream's rows of the window are read (a row of the window can only match one of them), and none when no
    built row came from the window before this run (no_window_version_built_before). -#}
{% macro delete_versions_gone_from(upstream_model, record_key, grain='day') -%}
{%- if execute and is_incremental() and no_window_version_built_before() not in sql -%}
delete from {{ this }}
where {{ partition_window_filter('partition_key', grain=grain) }}
  and not exists (
    select 1 from {{ ref(upstream_model) }} as upstream
    where {{ partition_window_filter('upstream.partition_key', grain=grain) }}
      and upstream.{{ record_key }} = {{ this }}.{{ record_key }}
      and upstream.partition_key = {{ this }}.partition_key
  )
{%- endif -%}
{%- endmacro %}
