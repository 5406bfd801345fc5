{#-
  12345 service requests (诉求工单), one row per work order (latest version). Incremental over the window vars.
  Durations: dispatch = accepted -> dispatched, response = dispatched -> responded, handling = dispatched ->
  closed, closing = accepted -> closed; NULL when negative or when the record's dates are implausible (outside the
  plausible window of its partition, has_implausible_dates). Time limits from cfg_service_time_limit by request type.
  Repeat request: an earlier work order accepted within the previous repeat_window_days days with the same caller
  pseudonym, category and district, looked up in the already-built intermediate history (so an incremental day sees
  the days before it); an incremental run reads only the span of history its requests can reach. A run rebuilds
  its window's records and also the later requests whose repeat flag they decide (same caller and matter, accepted
  up to repeat_window_days after a request of the window as built before or now), so a backfilled or corrected day
  updates the days after it.
-#}
{{ config(
    materialized='incremental',
    unique_key='work_order_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_versions_gone_from('int_hotline_12345__work_orders', 'work_order_id') }}",
) }}

{%- set repeat_window_days = var('repeat_window_days', 30) | int -%}

{%- set incremental_window = is_incremental() and window_is_set() -%}

with

{%- if incremental_window %}
window_request as (
    {{ records_in_window('int_hotline_12345__work_orders', 'work_order_id') }}
),

changed as (
    -- the window's requests as they are now and as they were built: they decide the repeat flags of later ones
    select caller_pseudonym, category_code, district_code, accepted_at
    from {{ ref('int_hotline_12345__work_orders') }}
    where {{ partition_window_filter('partition_key') }}
    union all
    select caller_pseudonym, category_code, district_code, accepted_at
    from {{ this }}
    where {{ partition_window_filter('partition_key') }}
),

-- the span of history a run needs: repeat_window_days before its earliest request to as many after its latest
history_span as (
    select
        least(min(accepted_at), (select min(accepted_at) from window_request))
            - interval '{{ repeat_window_days }} days' as earliest,
        greatest(max(accepted_at), (select max(accepted_at) from window_request))
            + interval '{{ repeat_window_days }} days' as latest
    from changed
),
{%- endif %}

history as (

    select work_order_id, accepted_at, caller_pseudonym, category_code, district_code, partition_key
    from {{ ref('int_hotline_12345__work_orders') }}
    where caller_pseudonym is not null
      and category_code is not null
      and district_code is not null
      and accepted_at is not null
      {%- if incremental_window %}
      and accepted_at between (select earliest from history_span) and (select latest from history_span)
      {%- endif %}

),

request as (

    {%- if incremental_window %}
    select * from window_request
    union
    -- later requests whose repeat flag the window's requests decide, as they are now and as they were built;
    -- they lie in the history span, which bounds the scan, outside the window's partitions (window_request holds
    -- every row of those). Their keys are found in the narrow history first, without the window's own requests:
    -- on a new day there are none, and DuckDB then reads no whole row of the span
    select * from {{ ref('int_hotline_12345__work_orders') }}
    where accepted_at between (select earliest from history_span) and (select latest from history_span)
      and work_order_id in (
        select later.work_order_id
        from changed
        inner join history as later
            on later.caller_pseudonym = changed.caller_pseudonym
            and later.category_code = changed.category_code
            and later.district_code = changed.district_code
            and later.accepted_at >= changed.accepted_at
            and later.accepted_at <= changed.accepted_at + interval '{{ repeat_window_days }} days'
        where not {{ partition_window_filter('later.partition_key') }}
    )
    {%- else %}
    {{ records_in_window('int_hotline_12345__work_orders', 'work_order_id') }}
    {%- endif %}

),

repeat_request as (

    select distinct request.work_order_id
    from request
    inner join history as earlier
        on earlier.caller_pseudonym = request.caller_pseudonym
        and earlier.category_code = request.category_code
        and earlier.district_code = request.district_code
        and earlier.work_order_id <> request.work_order_id
        and earlier.accepted_at >= request.accepted_at - interval '{{ repeat_window_days }} days'
        and (
            earlier.accepted_at < request.accepted_at
            or (earlier.accepted_at = request.accepted_at and earlier.work_order_id < request.work_order_id)
        )

),

time_limit as (
    select cast(request_type_code as varchar) as request_type_code, cast(time_limit_hours as integer) as time_limit_hours
    from {{ ref('cfg_service_time_limit') }}
),

timed as (

    select
        request.*,
        time_limit.time_limit_hours,
        request.accepted_at + to_hours(time_limit.time_limit_hours) as due_at,
        repeat_request.work_order_id is not null as is_repeat_request,
        {{ has_implausible_dates(['request.accepted_at', 'request.dispatched_at', 'request.responded_at',
            'request.closed_at'], 'request.partition_key') }} as has_implausible_dates
    from request
    left join time_limit on time_limit.request_type_code = request.request_type_code
    left join repeat_request on repeat_request.work_order_id = request.work_order_id

)

select
    cast(work_order_id as varchar) as work_order_id,
    cast(accepted_at as timestamptz) as accepted_at,
    cast(accepted_date as date) as accepted_date,
    cast(channel_code as varchar) as channel_code,
    cast(request_type_code as varchar) as request_type_code,
    cast(category_code as varchar) as category_code,
    cast(source_category as varchar) as source_category,
    cast(district_code as varchar) as district_code,
    cast(street_code as varchar) as street_code,
    cast(caller_pseudonym as varchar) as caller_pseudonym,
    cast(caller_phone_masked as varchar) as caller_phone_masked,
    cast(caller_id_is_valid as boolean) as caller_id_is_valid,
    cast(status_code as varchar) as status_code,
    cast(is_closed as boolean) as is_closed,
    cast(dispatched_at as timestamptz) as dispatched_at,
    cast(responded_at as timestamptz) as responded_at,
    cast(closed_at as timestamptz) as closed_at,
    cast({{ plausible_duration(minutes_between('accepted_at', 'dispatched_at'), 'has_implausible_dates') }} as double)
        as dispatch_minutes,
    cast({{ plausible_duration(minutes_between('dispatched_at', 'responded_at'), 'has_implausible_dates') }} as double)
        as response_minutes,
    cast({{ plausible_duration(hours_between('dispatched_at', 'closed_at'), 'has_implausible_dates') }} as double)
        as handling_hours,
    cast({{ plausible_duration(hours_between('accepted_at', 'closed_at'), 'has_implausible_dates') }} as double)
        as closing_hours,
    cast(time_limit_hours as integer) as time_limit_hours,
    cast(due_at as timestamptz) as due_at,
    cast(case when is_closed and not has_implausible_dates then closed_at <= due_at end as boolean)
        as is_closed_on_time,
    cast({{ lifecycle_in_order(['accepted_at', 'dispatched_at', 'responded_at', 'closed_at']) }} as boolean)
        as lifecycle_in_order,
    cast(satisfaction_code as varchar) as satisfaction_code,
    cast(is_satisfied as boolean) as is_satisfied,
    cast(is_repeat_request as boolean) as is_repeat_request,
    cast(has_implausible_dates as boolean) as has_implausible_dates,
    cast(partition_key as date) as partition_key,
    cast(source_file as varchar) as source_file
from timed
