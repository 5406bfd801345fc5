{#-
  Emergency events (应急事件), one row per event (latest version), with the response summarized from its steps:
  the first response on the ground (first step whose action is a response), the highest command level reached and
  whether the response was escalated. Incremental over the window vars (macros/incremental.sql).
-#}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_versions_gone_from('int_emergency_events__events', 'event_id') }}",
) }}

with event as (

    select
        *,
        {{ has_implausible_dates(['occurred_at', 'reported_at'], 'partition_key') }} as has_implausible_dates
    from ({{ records_in_window('int_emergency_events__events', 'event_id') }}) as window_event

),

response as (

    select
        event_id,
        count(*) as step_count,
        min(step_at) filter (where is_response) as first_response_at,
        arg_max(command_level_code, command_rank) as highest_command_level,
        bool_or(is_escalation) as was_escalated
    from {{ ref('int_emergency_events__response_steps') }}
    where event_id in (select event_id from event)
    group by event_id

)

select
    cast(event.event_id as varchar) as event_id,
    cast(event.event_title as varchar) as event_title,
    cast(event.event_type_code as varchar) as event_type_code,
    cast(event.severity_level as integer) as severity_level,
    cast(event.occurred_at as timestamptz) as occurred_at,
    cast(event.reported_at as timestamptz) as reported_at,
    cast(event.reported_date as date) as reported_date,
    cast(event.district_code as varchar) as district_code,
    cast(event.street_code as varchar) as street_code,
    cast(event.deaths as integer) as deaths,
    cast(event.injuries as integer) as injuries,
    cast(coalesce(event.deaths, 0) + coalesce(event.injuries, 0) as integer) as casualties,
    cast(response.first_response_at as timestamptz) as first_response_at,
    cast({{ plausible_duration(minutes_between('event.reported_at', 'response.first_response_at'),
        'event.has_implausible_dates') }} as double) as response_minutes,
    cast(response.highest_command_level as varchar) as highest_command_level,
    cast(coalesce(response.was_escalated, false) as boolean) as was_escalated,
    cast(coalesce(response.step_count, 0) as integer) as response_step_count,
    cast(event.has_implausible_dates as boolean) as has_implausible_dates,
    cast(event.partition_key as date) as partition_key,
    cast(event.source_file as varchar) as source_file
from event
left join response on response.event_id = event.event_id
