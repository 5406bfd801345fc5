{#-
  110 police incidents (110警情), one row per incident (latest version), conformed and located by station
  jurisdiction, district, street and (where the address names it) community. Incremental over the window vars
  (macros/incremental.sql).
  response_minutes = received -> police on site; NULL when negative or the dates are implausible for the partition.
-#}
{{ config(
    materialized='incremental',
    unique_key='incident_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_versions_gone_from('int_police_incidents__incidents', 'incident_id') }}",
) }}

with incident as (

    select
        *,
        {{ has_implausible_dates(['reported_at', 'arrived_at', 'closed_at'], 'partition_key') }}
            as has_implausible_dates
    from ({{ records_in_window('int_police_incidents__incidents', 'incident_id') }}) as window_incident

)

select
    cast(incident_id as varchar) as incident_id,
    cast(reported_at as timestamptz) as reported_at,
    cast(reported_date as date) as reported_date,
    cast(report_channel_code as varchar) as report_channel_code,
    cast(incident_class_code as varchar) as incident_class_code,
    cast(incident_type_code as varchar) as incident_type_code,
    cast(category_code as varchar) as category_code,
    cast(jurisdiction_code as varchar) as jurisdiction_code,
    cast(district_code as varchar) as district_code,
    cast(street_code as varchar) as street_code,
    cast(community_code as varchar) as community_code,
    -- a house number would point at a household: the mart keeps the road or community only
    cast(regexp_replace(incident_address, '[0-9０-９]+号.*$', '') as varchar) as incident_address,
    cast(coalesce(is_dispute, false) as boolean) as is_dispute,
    cast(disposal_result as varchar) as disposal_result,
    cast(arrived_at as timestamptz) as arrived_at,
    cast(closed_at as timestamptz) as closed_at,
    cast({{ plausible_duration(minutes_between('reported_at', 'arrived_at'), 'has_implausible_dates') }} as double)
        as response_minutes,
    cast(closed_at is not null as boolean) as is_closed,
    cast({{ lifecycle_in_order(['reported_at', 'arrived_at', 'closed_at']) }} as boolean) as lifecycle_in_order,
    cast(has_implausible_dates as boolean) as has_implausible_dates,
    cast(partition_key as date) as partition_key,
    cast(source_file as varchar) as source_file
from incident
