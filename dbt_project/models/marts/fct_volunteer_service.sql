{#-
  Volunteer service records (志愿服务记录), one row per record (latest version), by community, street and district.
  Incremental over the window vars (macros/incremental.sql). hours_are_valid: the hours are a half-hour step and
  agree with the start and end times; service_hours stays as delivered either way.
-#}
{{ config(
    materialized='incremental',
    unique_key='record_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_versions_gone_from('int_volunteer_services__service_records', 'record_id') }}",
) }}

with service as (

    select * from ({{ records_in_window('int_volunteer_services__service_records', 'record_id') }}) as window_service

)

select
    cast(record_id as varchar) as record_id,
    cast(volunteer_pseudonym as varchar) as volunteer_pseudonym,
    cast(activity_id as varchar) as activity_id,
    cast(activity_name as varchar) as activity_name,
    cast(service_category_code as varchar) as service_category_code,
    cast(community_code as varchar) as community_code,
    cast(street_code as varchar) as street_code,
    cast(district_code as varchar) as district_code,
    cast(started_at as timestamptz) as started_at,
    cast(ended_at as timestamptz) as ended_at,
    cast(service_hours as decimal(6, 1)) as service_hours,
    cast(is_half_hour_step as boolean) as is_half_hour_step,
    cast(hours_match_times as boolean) as hours_match_times,
    cast(coalesce(is_half_hour_step and hours_match_times, false) as boolean) as hours_are_valid,
    cast(is_approved as boolean) as is_approved,
    cast(partition_key as date) as partition_key,
    cast(source_file as varchar) as source_file
from service
