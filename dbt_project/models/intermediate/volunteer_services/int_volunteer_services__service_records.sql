{#-
  Volunteer service records, latest version per record_id, conformed (community with its street and district,
  service category, record status) and de-identified (the volunteer number becomes a pseudonym). Service hours are
  checked against the times: the platform records the duration rounded to half hours, so the hours must be a
  multiple of 0.5 (is_half_hour_step) and equal the start-to-end duration rounded to half hours
  (hours_match_times). Incremental over the window vars, like the other int_* models (macros/incremental.sql).
-#}
{{ config(
    materialized='incremental',
    unique_key='record_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_versions_gone_from('stg_volunteer_services__service_records', 'record_id') }}",
) }}

with fresh as ({{ latest_versions_in_window('stg_volunteer_services__service_records', 'record_id') }}),

-- the coded columns' distinct values with their codes (macro element_codes_sql): one match_key per value
community_value as ({{ element_codes_sql('fresh', 'volunteer_services', 'community_name') }}),

category as ({{ element_codes_sql('fresh', 'volunteer_services', 'service_category_name') }}),

status_value as ({{ element_codes_sql('fresh', 'volunteer_services', 'record_status_name') }}),

community as (
    select
        cast(community_code as varchar) as community_code,
        cast(street_code as varchar) as street_code,
        cast(district_code as varchar) as district_code
    from {{ ref('std_division_community') }}
),

status as (
    select cast(volunteer_record_status_code as varchar) as status_code, is_approved
    from {{ ref('std_volunteer_record_status') }}
),

service as (
    select
        r.*,
        {{ dbt.datediff('r.started_at', 'r.ended_at', 'minute') }} / 60.0 as timed_hours
    from fresh as r
)

select
    s.record_id,
    {{ pseudonym('s.volunteer_id') }} as volunteer_pseudonym,
    s.activity_id,
    s.activity_name,
    s.service_category_name,
    category.code as service_category_code,
    s.community_name,
    community.community_code,
    community.street_code,
    community.district_code,
    s.started_at,
    s.ended_at,
    s.service_hours,
    s.service_hours = round(s.service_hours * 2) / 2 as is_half_hour_step,
    s.service_hours = round(s.timed_hours * 2) / 2 as hours_match_times,
    s.record_status_name,
    status_value.code as record_status_code,
    status.is_approved,
    s.partition_key,
    s._source_file as source_file,
    s._source_row as source_row,
    s._load_id as load_id,
    s._record_hash as record_hash
from service as s
left join community_value on community_value.community_name = s.community_name
left join community on community.community_code = community_value.code
left join category on category.service_category_name = s.service_category_name
left join status_value on status_value.record_status_name = s.record_status_name
left join status on status.status_code = status_value.code
