{#-
  Increments of the cross-department governance models (docs/governance.md, "Increments"). A windowed run rebuilds
  what the window's landed partitions can change and nothing else, so its cost does not grow with history:
  - int_governance__record: the records whose version is (or was, when built) in the window's partitions;
  - int_governance__case_member: every record of each series (street, road address, category group) that such a
    record is in now or was in when built, since a record added, moved or removed can merge or split the cases of
    its series and renumber them;
  - fct_governance_case, bridge_governance_case_record: the cases and records those series hold now, and the cases
    they held when the marts were last built (read from the bridge before it is rebuilt).
  Every set is a superset of what changed; each is recomputed from all of its inputs, so rows equal a full rebuild.
-#}

{#- governance_channels(): the reporting channels int_governance__record unions (docs/governance.md, Channels). -#}
{% macro governance_channels() -%}
{{ return([
    {'source': 'hotline_12345', 'model': 'int_hotline_12345__work_orders', 'record_id': 'work_order_id',
     'occurred_at': 'accepted_at', 'place_key': 'incident_place_key', 'is_dispute': none},
    {'source': 'grid_events', 'model': 'int_grid_events__events', 'record_id': 'event_id',
     'occurred_at': 'reported_at', 'place_key': 'event_place_key', 'is_dispute': none},
    {'source': 'police_incidents', 'model': 'int_police_incidents__incidents', 'record_id': 'incident_id',
     'occurred_at': 'reported_at', 'place_key': address_place_key('incident_address'),
     'is_closed': 'closed_at is not null', 'is_dispute': 'is_dispute'},
]) }}
{%- endmacro %}

{#- key_hash(columns): a 64-bit hash of the columns, to find a run's rows by a short key instead of by text (a
    collision only adds rows to a set that is recomputed whole, so results stay exact). -#}
{% macro key_hash(columns) -%}
{{ return(adapter.dispatch('key_hash', 'citybrain')(columns)) }}
{%- endmacro %}

{% macro default__key_hash(columns) -%}
{{ dbt.hash(dbt.concat(columns)) }}
{%- endmacro %}

{% macro duckdb__key_hash(columns) -%}
hash({{ columns | join(', ') }})
{%- endmacro %}

{#- rows_where(relation, condition): a parenthesised select of the rows of `relation` that `condition` (a predicate
    on its short key columns, e.g. `case_hash in (select ...)`, or a list of them: the rows any one picks out) picks
    out. DuckDB narrows a scan by a join only for
    its key column: every other column of every row would still be read. So the rows are found by the key columns
    alone and then read whole by rowid (`relation` is a table); a lookup of a few thousand rows costs one key
    column, not the table; each predicate of a list finds its rows by itself (an OR of two lookups is no join: it
    reads and tests every key). A unit test's relation is a fixture (no rowid): it is read directly. -#}
{% macro rows_where(relation, condition) -%}
{{ return(adapter.dispatch('rows_where', 'citybrain')(relation, condition)) }}
{%- endmacro %}

{% macro default__rows_where(relation, condition) -%}
{%- set conditions = [condition] if condition is string else condition -%}
(select * from {{ relation }} where ({{ conditions | join(') or (') }}))
{%- endmacro %}

{% macro duckdb__rows_where(relation, condition) -%}
{%- set conditions = [condition] if condition is string else condition -%}
{%- if model.resource_type == 'model' -%}
(select * from {{ relation }} where rowid in (
    {%- for predicate in conditions %}
    select rowid from {{ relation }} where {{ predicate }}{% if not loop.last %} union all{% endif %}
    {%- endfor %}))
{%- else -%}
{{ default__rows_where(relation, condition) }}
{%- endif -%}
{%- endmacro %}

{#- True in an incremental run with a window: the model rebuilds a part of itself. -#}
{% macro governance_increment() -%}
{{ return(is_incremental() and window_is_set()) }}
{%- endmacro %}

{#- The (source, record_id) keys of a relation whose built version came from the window's partitions. -#}
{% macro governance_keys_in_window(relation) -%}
select source, record_id from {{ relation }} where {{ partition_window_filter('partition_key') }}
{%- endmacro %}

{#- Post-hook: deletes the built rows of the window's partitions that the upstream no longer has in the same
    partition (a record removed from a re-landed partition). Every other row of the window was just rebuilt from
    its upstream version; a version from outside the window replaced its row. `upstream` is a relation or a
    parenthesised select with source, record_id and partition_key. -#}
{% macro delete_governance_rows_gone(upstream) -%}
{%- if execute and governance_increment() -%}
delete from {{ this }}
where {{ partition_window_filter('partition_key') }}
  and not exists (
    select 1 from {{ upstream }} as upstream
    where {{ partition_window_filter('upstream.partition_key') }}
      and upstream.source = {{ this }}.source
      and upstream.record_id = {{ this }}.record_id
      and upstream.partition_key = {{ this }}.partition_key
  )
{%- endif -%}
{%- endmacro %}

{#- The channels' records as int_governance__record keeps them (source, record_id, partition_key), for its
    post-hook. -#}
{% macro governance_channel_keys() -%}
(
{%- for channel in governance_channels() %}
    select '{{ channel.source }}' as source, cast({{ channel.record_id }} as varchar) as record_id, partition_key
    from {{ ref(channel.model) }}
    where {{ channel.occurred_at }} is not null
    {%- if not loop.last %}
    union all{% endif %}
{%- endfor %}
)
{%- endmacro %}

{#- governance_channel_rows(channel, built_in_window): what int_governance__record reads of a channel's model. An
    increment reads its window's partitions and, in a second part rather than one OR (which reads the whole table),
    the records whose built version came from the window, outside it; that part is left out when the model has none
    (built_in_window false: a new day), as macro keys_built_in_window does. -#}
{% macro governance_channel_rows(channel, built_in_window) -%}
{%- if not governance_increment() -%}
{{ ref(channel.model) }}
{%- else -%}
{%- set in_window = partition_window_filter('partition_key') -%}
(
    select * from {{ ref(channel.model) }} where {{ in_window }}
    {%- if built_in_window %}
    union all
    select * from {{ ref(channel.model) }}
    where not {{ in_window }} and cast({{ channel.record_id }} as varchar) in (
        select record_id from ({{ governance_keys_in_window(this) }}) as built where source = '{{ channel.source }}')
    {%- endif %}
)
{%- endif -%}
{%- endmacro %}

{#- Whether this model holds rows built from the window's partitions (a re-run or a re-landed day); a unit test's
    {{ this }} is a fixture: true. -#}
{% macro governance_built_in_window() -%}
{%- if execute and model.resource_type == 'model' -%}
    {%- set found = run_query('select exists (' ~ governance_keys_in_window(this) ~ ')') -%}
    {{ return(found.columns[0].values()[0]) }}
{%- endif -%}
{{ return(true) }}
{%- endmacro %}

{#- The bridge as last built: fct_governance_case reads it before bridge_governance_case_record (which runs after it)
    is rebuilt, to find the cases a run's records were in. none before the first build and outside an increment. -#}
{% macro governance_bridge_as_built() -%}
{%- if not execute or not governance_increment() -%}{{ return(none) }}{%- endif -%}
{{ return(adapter.get_relation(database=this.database, schema=this.schema,
    identifier='bridge_governance_case_record')) }}
{%- endmacro %}

{#- The CTEs (each followed by a comma) of what a windowed run rebuilds in the governance marts, from `member`
    (int_governance__case_member, rebuilt) and `built` (the bridge as last built):
    gov_touched: the records of the window's partitions, now or as built;
    gov_series_record: the records of the series they are in now, and the touched records, with their case now;
    gov_built_case: the cases, as built, of those records (some may be gone now);
    gov_case_record: the records of those cases as built (a record that left a series can only split the case it
      was in, so these and the series' records are every record whose case may have changed);
    gov_rebuilt_case: the cases, as built or now, of all of them (a case that split is renamed after one of the
      records it had). Each of member and built is scanned at most twice. -#}
{% macro governance_rebuild_ctes(member, built) -%}
gov_touched as (
    select source, record_id, {{ key_hash(['source', 'record_id']) }} as record_hash
    from (
        {{ governance_keys_in_window(member) }}
        union
        {{ governance_keys_in_window(built) }}
    ) as touched
),

gov_touched_series as (
    select series_hash
    from {{ member }}
    where {{ partition_window_filter('partition_key') }} and series_hash is not null
    union
    select series_hash
    from {{ member }}
    where series_hash is not null and record_hash in (
        select {{ key_hash(['source', 'record_id']) }}
        from (
            {{ governance_keys_in_window(built) }}
            except
            {{ governance_keys_in_window(member) }}
        ) as moved
    )
),

gov_series_record as (
    select source, record_id, case_id
    from {{ rows_where(member, ['series_hash in (select series_hash from gov_touched_series)',
        'record_hash in (select record_hash from gov_touched)']) }} as member
),

gov_built_case as (
    select distinct built.case_id
    from {{ rows_where(built, 'record_id in (select record_id from gov_series_record'
        ~ ' union all select record_id from gov_touched)') }} as built
    where exists (select 1 from gov_series_record as record
        where record.source = built.source and record.record_id = built.record_id)
       or exists (select 1 from gov_touched as touched
        where touched.source = built.source and touched.record_id = built.record_id)
),

gov_case_record as (
    select source, record_id
    from {{ rows_where(built, 'case_id in (select case_id from gov_built_case)') }} as built
),

gov_rebuilt_case as (
    select case_id, {{ key_hash(['case_id']) }} as case_hash
    from (
        select case_id from gov_built_case
        union
        select case_id from gov_series_record
        union
        select source || ':' || record_id from gov_case_record
    ) as rebuilt
),
{%- endmacro %}

{#- The cases a windowed run of fct_governance_case and bridge_governance_case_record rebuilds (macro
    governance_rebuild_ctes: case_id, case_hash, and is_built: the case was in the bridge as built), found once
    per invocation by the pre-hook of fct_governance_case and read by that model, its post-hook and the bridge:
    both find them from the same inputs (the members now, the bridge as built), since the bridge runs after the
    fact and before anything else rebuilds it. A relation of the ops schema, which keeps the invocation's id: the
    bridge finds the cases itself in an invocation that did not build the fact. -#}
{% macro governance_rebuilt_case_relation() -%}
{{ return(api.Relation.create(database=target.database, schema='ops', identifier='governance_rebuilt_case')) }}
{%- endmacro %}

{#- A parenthesised select of this invocation's rows of governance_rebuilt_case_relation(). -#}
{% macro governance_rebuilt_cases() -%}
(select case_id, case_hash, is_built from {{ governance_rebuilt_case_relation() }}
 where invocation_id = '{{ invocation_id }}')
{%- endmacro %}

{#- Whether this invocation's fct_governance_case kept the cases to rebuild (when it found none, the bridge looks
    again, and finds none). -#}
{% macro governance_rebuilt_cases_found() -%}
{%- if execute and model.resource_type == 'model' -%}
    {%- set relation = governance_rebuilt_case_relation() -%}
    {#- written by a hook, so not in dbt's cache of relations: asked of the database -#}
    {%- set table = run_query("select count(*) from information_schema.tables where table_catalog = '"
        ~ relation.database ~ "' and table_schema = '"
        ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'") -%}
    {%- if table.columns[0].values()[0] > 0 -%}
        {%- set found = run_query('select exists (select 1 from ' ~ relation
            ~ " where invocation_id = '" ~ invocation_id ~ "')") -%}
        {{ return(found.columns[0].values()[0]) }}
    {%- endif -%}
{%- endif -%}
{{ return(false) }}
{%- endmacro %}

{#- Pre-hook of fct_governance_case: the cases its windowed run rebuilds, kept for the model, its post-hook and the
    bridge. -#}
{% macro create_governance_rebuilt_cases() -%}
{%- set built = governance_bridge_as_built() -%}
{%- if execute and governance_increment() and built is not none -%}
create or replace table {{ governance_rebuilt_case_relation() }} as
with {{ governance_rebuild_ctes(ref('int_governance__case_member'), built) }}
marked as (
    select case_id, case_hash, case_id in (select case_id from gov_built_case) as is_built
    from gov_rebuilt_case
)
select '{{ invocation_id }}' as invocation_id, * from marked
{%- endif -%}
{%- endmacro %}

{#- Post-hook of fct_governance_case: deletes the rebuilt cases that no record opens any more. -#}
{% macro delete_governance_cases_gone() -%}
{%- set built = governance_bridge_as_built() -%}
{%- if execute and governance_increment() and built is not none -%}
delete from {{ this }}
where case_id in (
    select case_id from {{ governance_rebuilt_cases() }} as rebuilt where is_built
    except
    select case_id from {{ rows_where(ref('int_governance__case_member'),
        'case_hash in (select case_hash from ' ~ governance_rebuilt_cases() ~ ' as rebuilt)') }} as member
)
{%- endif -%}
{%- endmacro %}

{#- The CTEs (each followed by a comma) of what an incremental run of fct_dispute_journey rebuilds (without a window:
    every journey). A journey links a
    dispute record and the first case referring to it, so a changed record or case can change the journeys of the
    records and cases linked to it, now or as built ({{ this }}):
    journey_touched_case: the cases of the window's months, and the cases gone since the journeys were built;
    journey_record: the records of the window's partitions, now or as built, the records those cases refer to now,
      and the records they were linked to as built;
    journey_case: those cases, every case that refers to one of those records now, and the cases linked to them as
      built. Every case of journey_case refers (now) to a record of journey_record or to none, and every case that
      refers to one of those records is in journey_case: each record's first case is found among all of its cases. -#}
{% macro dispute_journey_rebuild_ctes() -%}
journey_touched_case as (
    select case_id from {{ ref('fct_dispute_case') }}
    where {{ partition_window_filter('partition_key', grain='month') }}
    union
    select built.mediation_case_id from {{ this }} as built
    where built.mediation_case_id is not null
      and not exists (select 1 from {{ ref('fct_dispute_case') }} as dispute
        where dispute.case_id = built.mediation_case_id)
),

journey_record as (
    select record_id from {{ ref('int_governance__record') }} where {{ partition_window_filter('partition_key') }}
    union
    select origin_record_id from {{ this }}
    where origin_record_id is not null and (
        {{ partition_window_filter('partition_key') }}
        or mediation_case_id in (select case_id from journey_touched_case))
    union
    select referral_record_id from {{ ref('int_mediation_cases__cases') }}
    where referral_record_id is not null and case_id in (select case_id from journey_touched_case)
),

journey_case as (
    select case_id from journey_touched_case
    union
    select case_id from {{ ref('int_mediation_cases__cases') }}
    where referral_record_id in (select record_id from journey_record)
    union
    select mediation_case_id from {{ this }}
    where mediation_case_id is not null and origin_record_id in (select record_id from journey_record)
),
{%- endmacro %}

{#- Post-hook of fct_dispute_journey: deletes the journeys an incremental run rebuilt none for: a record's journey whose
    record left the window's partitions (gone, or back to an older version that is no dispute) or is no dispute any
    more; a case's own journey when the case is gone or a record's journey now holds it. -#}
{% macro delete_dispute_journeys_gone() -%}
{%- if execute and is_incremental() -%}
{%- set in_window = partition_window_filter('partition_key') -%}
{#- a record's journey id is source:record_id; a lookup by it reads one column, not a join of two -#}
delete from {{ this }}
where journey_id in (
    select journey_id from {{ this }}
    where {{ in_window }} and origin_record_id is not null
      and journey_id not in (
        select source || ':' || record_id from {{ ref('int_governance__record') }}
        where {{ in_window }} and coalesce(is_dispute, false))
    union all
    select source || ':' || record_id from {{ ref('int_governance__record') }}
    where {{ in_window }} and not coalesce(is_dispute, false)
);
delete from {{ this }}
where origin_record_id is null and (
    not exists (select 1 from {{ ref('fct_dispute_case') }} as dispute
        where dispute.case_id = {{ this }}.mediation_case_id)
    or mediation_case_id in (select mediation_case_id from {{ this }}
        where origin_record_id is not null and mediation_case_id is not null)
)
{%- endif -%}
{%- endmacro %}
