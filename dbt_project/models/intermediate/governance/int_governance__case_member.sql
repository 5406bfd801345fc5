{#-
  Which governance case each record belongs to (一件事归并), and by which rule (docs/governance.md).
  Records with a street, a road address key and a category group are ordered by report time within their
  series (street, road address, category group); a record reported within its group's case_window_hours
  (cfg_category_group) of the previous one joins that one's case, a later one opens a new case. The street and the
  road address key together are the place: the community follows from them. A record without a place or a group
  is a case of its own. A case's id is its first report's source:record_id. Carries the record's columns the
  marts need, so fct_governance_case and bridge_governance_case_record read this model only.
  Incremental: a windowed run recomputes every series that a record of the window's partitions is in now or was
  in when built, whole (a backfilled report may merge two cases, a removed one split a case), and the window's
  records without a series (macros/governance_increments.sql); a record gone upstream is deleted.
-#}
{{ config(
    materialized='incremental',
    unique_key=['source', 'record_id'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_governance_rows_gone(ref('int_governance__record')) }}",
) }}

{%- set record_columns = ['source', 'record_id', 'department_code', 'occurred_at', 'district_code', 'street_code',
    'community_code', 'category_code', 'category_group_code', 'place_key', 'is_closed', 'closed_at',
    'partition_key', 'record_hash', 'series_hash'] -%}

with
{%- if governance_increment() %}
touched as (
    select record_hash from {{ ref('int_governance__record') }} where {{ partition_window_filter('partition_key') }}
    union
    select record_hash from {{ this }} where {{ partition_window_filter('partition_key') }}
),

-- the series of the touched records, as they are now and as they were built
touched_series as (
    select series_hash from {{ ref('int_governance__record') }}
    where record_hash in (select record_hash from touched) and series_hash is not null
    union
    select series_hash from {{ this }}
    where record_hash in (select record_hash from touched) and series_hash is not null
),
{%- endif %}

record as (
    select
        record.*,
        cast(category_group.case_window_hours as integer) as case_window_hours,
        record.street_code is not null and record.place_key is not null
            and record.category_group_code is not null as is_matchable
    {%- if governance_increment() %}
    from {{ rows_where(ref('int_governance__record'),
        ['record_hash in (select record_hash from touched)', 'series_hash in (select series_hash from touched_series)']) }}
        as record
    {%- else %}
    from {{ ref('int_governance__record') }} as record
    {%- endif %}
    left join {{ ref('cfg_category_group') }} as category_group
        on cast(category_group.category_group_code as varchar) = record.category_group_code
),

ordered as (
    select
        *,
        lag(occurred_at) over (
            partition by street_code, place_key, category_group_code order by occurred_at, source, record_id
        ) as previous_at
    from record
    where is_matchable
),

opened as (
    select
        *,
        previous_at is null or case_window_hours is null
            or occurred_at > previous_at + to_hours(case_window_hours) as opens_case
    from ordered
),

matched_in_series as (
    -- a case's id is its first report's: the one of the last record up to this one that opened a case (a series'
    -- first record always opens one), in the same window as the order, so DuckDB sorts each series once more only
    -- (the id is wrapped in a list so that ignoring NULLs skips only the records that opened no case)
    select
        *,
        last_value(case when opens_case then [source || ':' || record_id] end ignore nulls) over (
            partition by street_code, place_key, category_group_code order by occurred_at, source, record_id
            rows between unbounded preceding and current row
        )[1] as case_id
    from opened
),

matched as (
    select
        case_id,
        case when opens_case then 'first_report' else 'same_place_group_within_window' end as match_rule,
        {{ record_columns | join(', ') }}
    from matched_in_series
    union all
    select source || ':' || record_id as case_id, 'no_place_or_group' as match_rule, {{ record_columns | join(', ') }}
    from record
    where not is_matchable
)

select case_id, source, record_id, match_rule, {{ (record_columns | reject('in', ['source', 'record_id'])) | join(', ') }},
    {{ key_hash(['case_id']) }} as case_hash
from matched
