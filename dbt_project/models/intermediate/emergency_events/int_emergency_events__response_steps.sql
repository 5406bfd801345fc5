{#-
  The response steps of the emergency events, one row per element of an event's `response` JSON array, in
  delivered order (step_seq), conformed to std_command_level and std_response_action (by name or code). A step
  time may be epoch milliseconds, local text or ISO 8601 with an offset. Rebuilt with its events: delete+insert on
  event_id replaces all steps of an event of the window.
-#}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_rows_of_replaced_versions('int_emergency_events__events', 'event_id') }}",
) }}

with event as ({{ records_in_window('int_emergency_events__events', 'event_id') }}),

step as ({{ json_array_elements('event', ['event_id', 'partition_key', 'source_file'], 'response_steps') }}),

level_lookup as ({{ code_lookup_sql('std_command_level', 'command_level_code', 'command_level_name') }}),

action_lookup as ({{ code_lookup_sql('std_response_action', 'response_action_code', 'response_action_name') }}),

command_level as (
    select cast(command_level_code as varchar) as command_level_code, command_rank
    from {{ ref('std_command_level') }}
),

response_action as (
    select cast(response_action_code as varchar) as response_action_code, is_response, is_escalation
    from {{ ref('std_response_action') }}
),

parsed as (
    select
        event_id,
        element_seq as step_seq,
        {{ parse_epoch_ms(json_member_text('element', 'time')) }} as step_at,
        {{ clean_code(json_member_text('element', 'level')) }} as command_level,
        {{ clean_code(json_member_text('element', 'action')) }} as action,
        {{ clean_text(json_member_text('element', 'unit')) }} as unit_name,
        partition_key,
        source_file
    from step
)

select
    parsed.event_id,
    parsed.step_seq,
    parsed.step_at,
    parsed.command_level,
    command_level.command_level_code,
    command_level.command_rank,
    parsed.action,
    response_action.response_action_code as action_code,
    coalesce(response_action.is_response, false) as is_response,
    coalesce(response_action.is_escalation, false) as is_escalation,
    parsed.unit_name,
    parsed.partition_key,
    parsed.source_file
from parsed
left join level_lookup on level_lookup.lookup_key = {{ match_key('parsed.command_level') }}
left join command_level on command_level.command_level_code = level_lookup.code
left join action_lookup on action_lookup.lookup_key = {{ match_key('parsed.action') }}
left join response_action on response_action.response_action_code = action_lookup.code
