{#-
  Grid events, latest version per event_id, conformed to the city grid and category standard, with the status
  history unnested into lifecycle timestamps: filed / dispatched / handled / verified / closed = the time the
  event reached lifecycle step 2..6 of std_grid_event_status (the latest time, when a step was repeated).
  Incremental over the window vars, like the other int_* models (macros/incremental.sql).
-#}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_versions_gone_from('stg_grid_events__events', 'event_id') }}",
) }}

with fresh as ({{ latest_versions_in_window('stg_grid_events__events', 'event_id', grain='day') }}),

status_change as (

    -- one row per element of the status history JSON array [{status, time}, ...]
    select
        history.event_id,
        nullif(trim(history.change ->> 'status'), '') as status_code,
        {{ parse_epoch_ms("history.change ->> 'time'") }} as changed_at
    from (
        select fresh.event_id, unnest(from_json(try_cast(fresh.status_history as json), '["json"]')) as change
        from fresh
        where json_valid(fresh.status_history)
          and json_type(try_cast(fresh.status_history as json)) = 'ARRAY'
    ) as history

),

status_lookup as ({{ element_lookup_sql('grid_events', 'status_code') }}),

event_status as (
    select cast(status_code as varchar) as status_code, lifecycle_order, is_closed
    from {{ ref('std_grid_event_status') }}
),

lifecycle as (

    select
        status_change.event_id,
        count(*) as status_change_count,
        max(case when event_status.lifecycle_order = 2 then status_change.changed_at end) as filed_at,
        max(case when event_status.lifecycle_order = 3 then status_change.changed_at end) as dispatched_at,
        max(case when event_status.lifecycle_order = 4 then status_change.changed_at end) as handled_at,
        max(case when event_status.lifecycle_order = 5 then status_change.changed_at end) as verified_at,
        max(case when event_status.lifecycle_order = 6 then status_change.changed_at end) as closed_at
    from status_change
    left join status_lookup on status_lookup.lookup_key = {{ match_key('status_change.status_code') }}
    left join event_status on event_status.status_code = status_lookup.code
    group by status_change.event_id

),

grid as (
    select
        cast(grid.grid_code as varchar) as grid_code,
        cast(grid.community_code as varchar) as community_code,
        cast(community.street_code as varchar) as street_code,
        cast(community.district_code as varchar) as district_code
    from {{ ref('std_grid') }} as grid
    left join {{ ref('std_division_community') }} as community
        on cast(community.community_code as varchar) = cast(grid.community_code as varchar)
),

-- the coded columns' distinct values with their codes (macro element_codes_sql): one match_key per value
grid_value as ({{ element_codes_sql('fresh', 'grid_events', 'grid_code') }}),

category as ({{ element_codes_sql('fresh', 'grid_events', 'source_category') }}),

status as ({{ element_codes_sql('fresh', 'grid_events', 'status_code') }})

select
    e.event_id,
    e.grid_code as source_grid_code,
    grid.grid_code,
    grid.community_code,
    grid.street_code,
    grid.district_code,
    e.source_category,
    category.code as category_code,
    e.reported_at,
    cast(timezone({{ city_timezone() }}, e.reported_at) as date) as reported_date,
    lifecycle.filed_at,
    lifecycle.dispatched_at,
    lifecycle.handled_at,
    lifecycle.verified_at,
    lifecycle.closed_at,
    e.status_code as source_status_code,
    event_status.status_code,
    event_status.is_closed,
    coalesce(lifecycle.status_change_count, 0) as status_change_count,
    e.reporter_id,
    {{ address_place_key('e.event_address') }} as event_place_key,
    e.longitude,
    e.latitude,
    e.partition_key,
    e._source_file as source_file,
    e._source_row as source_row,
    e._load_id as load_id,
    e._record_hash as record_hash
from fresh as e
left join lifecycle on lifecycle.event_id = e.event_id
left join grid_value on grid_value.grid_code = e.grid_code
left join grid on grid.grid_code = grid_value.code
left join category on category.source_category = e.source_category
left join status on status.status_code = e.status_code
left join event_status on event_status.status_code = status.code
