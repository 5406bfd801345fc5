{#-
  12345 work orders, latest version per work_order_id, conformed to the city standard and de-identified.
  Incremental: rebuilds the records of the window's landed partitions from their latest landed version (a re-run
  of an older window never replaces a newer version; a record a re-landed partition lost falls back to an older
  version or is deleted). Delivered values and seed values meet only in match_key form, computed once per distinct value.
  Raw names, phones, ID numbers and addresses stop here (the road address key, incident_place_key, too).
-#}
{{ config(
    materialized='incremental',
    unique_key='work_order_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_versions_gone_from('stg_hotline_12345__work_orders', 'work_order_id') }}",
) }}

with fresh as ({{ latest_versions_in_window('stg_hotline_12345__work_orders', 'work_order_id', grain='day') }}),

-- each coded column's distinct delivered values with their codes (macro element_codes_sql)
district as ({{ element_codes_sql('fresh', 'hotline_12345', 'district_name') }}),

channel as ({{ element_codes_sql('fresh', 'hotline_12345', 'channel_name') }}),

request_type as ({{ element_codes_sql('fresh', 'hotline_12345', 'request_type_name') }}),

status as ({{ element_codes_sql('fresh', 'hotline_12345', 'status_name') }}),

satisfaction_value as ({{ element_codes_sql('fresh', 'hotline_12345', 'satisfaction_name') }}),

category as ({{ element_codes_sql('fresh', 'hotline_12345', 'source_category') }}),

request_status as (
    select cast(status_code as varchar) as status_code, is_closed from {{ ref('std_request_status') }}
),

satisfaction as (
    select cast(satisfaction_code as varchar) as satisfaction_code, is_satisfied from {{ ref('std_satisfaction') }}
),

street as (
    select cast(street_code as varchar) as street_code, {{ match_key('street_name') }} as street_key,
        cast(district_code as varchar) as district_code
    from {{ ref('std_division_street') }}
),

-- each distinct (address, district) once: addresses repeat, and the street and community found in one are the
-- same for every request that gives it
address as (

    select
        located.incident_address,
        located.district_code,
        {{ match_key('located.incident_address') }} as incident_address_key,
        {{ address_place_key('located.incident_address') }} as incident_place_key,
        row_number() over (order by located.incident_address, located.district_code) as address_id
    from (
        select distinct fresh.incident_address, district.code as district_code
        from fresh
        left join district on district.district_name = fresh.district_name
        where fresh.incident_address is not null
    ) as located

),

street_match as (

    -- the street of the request's district whose full name appears in the address (the longest wins)
    select
        address.address_id,
        street.street_code
    from address
    inner join street
        on street.district_code = address.district_code
        and contains(address.incident_address_key, street.street_key)
    qualify row_number() over (
        partition by address.address_id order by length(street.street_key) desc, street.street_code
    ) = 1

),

with_street as (
    select address.address_id, address.incident_address_key, address.district_code, street_match.street_code
    from address
    left join street_match on street_match.address_id = address.address_id
),

-- the community named in the address, where it names one (docs/governance.md)
community_match as (
    {{ community_in_address('with_street', 'address_id', 'incident_address_key', 'street_code', 'district_code') }}
),

with_codes as (

    select
        fresh.*,
        district.code as district_code,
        address.address_id,
        address.incident_place_key,
        {{ normalize_phone('fresh.caller_phone') }} as caller_phone_normalized
    from fresh
    left join district on district.district_name = fresh.district_name
    left join address
        on address.incident_address = fresh.incident_address
        and address.district_code is not distinct from district.code

)

select
    r.work_order_id,
    r.accepted_at,
    cast(timezone({{ city_timezone() }}, r.accepted_at) as date) as accepted_date,
    r.channel_name,
    channel.code as channel_code,
    r.request_type_name,
    request_type.code as request_type_code,
    r.source_category,
    category.code as category_code,
    r.district_name,
    r.district_code,
    street_match.street_code,
    community_match.community_code,
    r.incident_place_key,
    {{ pseudonym('r.caller_phone_normalized') }} as caller_pseudonym,
    {{ mask_phone('r.caller_phone_normalized') }} as caller_phone_masked,
    regexp_full_match(r.caller_phone_normalized, '1[3-9][0-9]{9}') as caller_phone_is_mobile,
    {{ pseudonym('r.caller_id_number') }} as caller_id_pseudonym,
    {{ citizen_id_is_valid('r.caller_id_number') }} as caller_id_is_valid,
    r.dispatched_at,
    r.responded_at,
    r.closed_at,
    r.status_name,
    status.code as status_code,
    request_status.is_closed,
    r.satisfaction_name,
    satisfaction_value.code as satisfaction_code,
    satisfaction.is_satisfied,
    r.partition_key,
    r._source_file as source_file,
    r._source_row as source_row,
    r._load_id as load_id,
    r._record_hash as record_hash
from with_codes as r
left join street_match on street_match.address_id = r.address_id
left join community_match on community_match.address_id = r.address_id
left join channel on channel.channel_name = r.channel_name
left join request_type on request_type.request_type_name = r.request_type_name
left join status on status.status_name = r.status_name
left join request_status on request_status.status_code = status.code
left join satisfaction_value on satisfaction_value.satisfaction_name = r.satisfaction_name
left join satisfaction on satisfaction.satisfaction_code = satisfaction_value.code
left join category on category.source_category = r.source_category
