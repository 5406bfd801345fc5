{#-
  Grid events (网格事件), one row per event (latest version), with lifecycle timestamps from the status history.
  Incremental over the window vars (macros/incremental.sql). closing_hours = reported -> closed; NULL when negative
  or when the event's dates are implausible for its partition (has_implausible_dates).
-#}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_versions_gone_from('int_grid_events__events', 'event_id') }}",
) }}

with event as (

    select
        *,
        {{ has_implausible_dates(['reported_at', 'filed_at', 'dispatched_at', 'handled_at', 'verified_at',
            'closed_at'], 'partition_key') }} as has_implausible_dates
    from ({{ records_in_window('int_grid_events__events', 'event_id') }}) as window_event

)

select
    cast(event_id as varchar) as event_id,
    cast(grid_code as varchar) as grid_code,
    cast(community_code as varchar) as community_code,
    cast(street_code as varchar) as street_code,
    cast(district_code as varchar) as district_code,
    cast(category_code as varchar) as category_code,
    cast(source_category as varchar) as source_category,
    cast(reported_at as timestamptz) as reported_at,
    cast(reported_date as date) as reported_date,
    cast(filed_at as timestamptz) as filed_at,
    cast(dispatched_at as timestamptz) as dispatched_at,
    cast(handled_at as timestamptz) as handled_at,
    cast(verified_at as timestamptz) as verified_at,
    cast(closed_at as timestamptz) as closed_at,
    cast(status_code as varchar) as status_code,
    cast(is_closed as boolean) as is_closed,
    cast({{ plausible_duration(hours_between('reported_at', 'closed_at'), 'has_implausible_dates') }} as double)
        as closing_hours,
    cast(status_change_count as integer) as status_change_count,
    cast({{ lifecycle_in_order(['reported_at', 'filed_at', 'dispatched_at', 'handled_at', 'verified_at', 'closed_at']) }}
        as boolean) as lifecycle_in_order,
    cast(has_implausible_dates as boolean) as has_implausible_dates,
    cast(partition_key as date) as partition_key,
    cast(source_file as varchar) as source_file
from event
