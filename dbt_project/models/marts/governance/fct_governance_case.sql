{#-
  Governance cases (一件事), one row per underlying matter however many channels reported it (docs/governance.md).
  The place, category and lead department are those of the first report (首报); community: the first one a record
  of the case carries. Closed only when every record of the case is closed (全部办结). partition_key: the latest
  landed partition of its records' versions.
  Incremental: a windowed run rebuilds the cases of the records int_governance__case_member recomputed for the
  window's partitions, and the cases those records were in as the bridge was built (it is read before the bridge
  is rebuilt); a case no record opens any more is deleted (macros/governance_increments.sql). Its pre-hook finds
  these cases once and keeps them for the model, its post-hook and the bridge.
-#}
{{ config(
    materialized='incremental',
    unique_key='case_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ create_governance_rebuilt_cases() }}",
    post_hook="{{ delete_governance_cases_gone() }}",
) }}

{%- set built = governance_bridge_as_built() -%}
{%- set increment = built is not none -%}

with member as (
    select
        *,
        row_number() over (partition by case_id order by occurred_at, source, record_id) as report_seq
    {%- if increment %}
    from {{ rows_where(ref('int_governance__case_member'),
        'case_hash in (select case_hash from ' ~ governance_rebuilt_cases() ~ ' as rebuilt)') }}
        as member
    {%- else %}
    from {{ ref('int_governance__case_member') }}
    {%- endif %}
),

summary as (
    select
        case_id,
        min(occurred_at) as first_reported_at,
        max(occurred_at) as last_reported_at,
        count(*) as record_count,
        -- the channels listed once (a distinct aggregate would group the records a second time and join back)
        list_sort(list_distinct(list(source))) as channel_list,
        bool_and(is_closed) as is_closed,
        max(closed_at) as last_closed_at,
        min_by(community_code, report_seq) filter (where community_code is not null) as community_code,
        max(partition_key) as partition_key
    from member
    group by case_id
)

select
    cast(summary.case_id as varchar) as case_id,
    cast(summary.first_reported_at as timestamptz) as first_reported_at,
    cast(timezone({{ city_timezone() }}, summary.first_reported_at) as date) as first_reported_date,
    cast(summary.last_reported_at as timestamptz) as last_reported_at,
    cast(first_report.source as varchar) as first_source,
    cast(first_report.record_id as varchar) as first_record_id,
    cast(first_report.department_code as varchar) as lead_department_code,
    cast(first_report.district_code as varchar) as district_code,
    cast(first_report.street_code as varchar) as street_code,
    cast(summary.community_code as varchar) as community_code,
    cast(first_report.category_group_code as varchar) as category_group_code,
    cast(first_report.category_code as varchar) as category_code,
    cast(summary.record_count as integer) as record_count,
    cast(len(summary.channel_list) as integer) as channel_count,
    cast(array_to_string(summary.channel_list, ',') as varchar) as channels,
    cast(len(summary.channel_list) > 1 as boolean) as is_multi_channel,
    cast(summary.is_closed as boolean) as is_closed,
    cast(case when summary.is_closed then summary.last_closed_at end as timestamptz) as closed_at,
    cast(summary.partition_key as date) as partition_key
from summary
inner join member as first_report on first_report.case_id = summary.case_id and first_report.report_seq = 1
