{#-
  Emergency events, latest version per event_id, conformed to the city standard: event type, severity (I-IV as
  1-4), district and the street within it. The response steps stay JSON here; int_emergency_events__response_steps
  unnests them. Incremental like the other int_* models (macros/incremental.sql).
-#}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_versions_gone_from('stg_emergency_events__events', 'event_id') }}",
) }}

with fresh as ({{ latest_versions_in_window('stg_emergency_events__events', 'event_id', grain='day') }}),

event_type_lookup as ({{ element_lookup_sql('emergency_events', 'event_type') }}),

severity_lookup as ({{ element_lookup_sql('emergency_events', 'severity') }}),

district_lookup as ({{ element_lookup_sql('emergency_events', 'district_name') }}),

street_lookup as ({{ element_lookup_sql('emergency_events', 'street_name') }})

select
    e.event_id,
    e.event_title,
    e.event_type,
    event_type_lookup.code as event_type_code,
    e.severity,
    cast(severity_lookup.code as integer) as severity_level,
    e.occurred_at,
    e.reported_at,
    cast(timezone({{ city_timezone() }}, e.reported_at) as date) as reported_date,
    e.district_name,
    district_lookup.code as district_code,
    e.street_name,
    street_lookup.code as street_code,
    e.place,
    e.deaths,
    e.injuries,
    e.response_steps,
    e.partition_key,
    e._source_file as source_file,
    e._source_row as source_row,
    e._load_id as load_id,
    e._record_hash as record_hash
from fresh as e
left join event_type_lookup on event_type_lookup.lookup_key = {{ match_key('e.event_type') }}
left join severity_lookup on severity_lookup.lookup_key = {{ match_key('e.severity') }}
left join district_lookup on district_lookup.lookup_key = {{ match_key('e.district_name') }}
left join street_lookup
    on street_lookup.district_code = district_lookup.code
    and street_lookup.lookup_key = {{ match_key('e.street_name') }}
