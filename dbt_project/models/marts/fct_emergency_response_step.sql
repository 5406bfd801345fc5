{#-
  The response steps of the emergency events (应急响应过程), one row per step of an event's latest version, in
  delivered order. Incremental over the window vars: delete+insert on event_id replaces all steps of an event.
-#}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_rows_of_replaced_versions('int_emergency_events__response_steps', 'event_id') }}",
) }}

select
    cast(event_id as varchar) as event_id,
    cast(step_seq as integer) as step_seq,
    cast(step_at as timestamptz) as step_at,
    cast(command_level_code as varchar) as command_level_code,
    cast(action_code as varchar) as action_code,
    cast(unit_name as varchar) as unit_name,
    cast(partition_key as date) as partition_key,
    cast(source_file as varchar) as source_file
from ({{ records_in_window('int_emergency_events__response_steps', 'event_id') }}) as window_step
