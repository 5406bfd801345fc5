{#-
  110 police incidents, latest version per incident_id, conformed to the city standard: report channel, incident
  class and sub-type (the class of the sub-type when the delivered class does not conform), the unified category
  of the sub-type where it has one, and the place: the station's jurisdiction gives the district; the street is
  the jurisdiction's street named in the generalised address, or the only street of a one-street jurisdiction;
  the community named in the address where it names one (docs/governance.md).
  Incremental like the other int_* models (macros/incremental.sql).
-#}
{{ config(
    materialized='incremental',
    unique_key='incident_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_versions_gone_from('stg_police_incidents__incidents', 'incident_id') }}",
) }}

with fresh as ({{ latest_versions_in_window('stg_police_incidents__incidents', 'incident_id', grain='day') }}),

-- the coded columns' distinct values with their codes (macro element_codes_sql): one match_key per value
channel as ({{ element_codes_sql('fresh', 'police_incidents', 'report_channel') }}),

incident_class_value as ({{ element_codes_sql('fresh', 'police_incidents', 'incident_class') }}),

incident_type_value as ({{ element_codes_sql('fresh', 'police_incidents', 'incident_type') }}),

jurisdiction_value as ({{ element_codes_sql('fresh', 'police_incidents', 'jurisdiction') }}),

incident_type as (
    select
        cast(incident_type_code as varchar) as incident_type_code,
        cast(incident_class_code as varchar) as incident_class_code,
        nullif(cast(category_code as varchar), '') as category_code  -- empty: no counterpart
    from {{ ref('std_police_incident_type') }}
),

incident_class as (
    select cast(incident_class_code as varchar) as incident_class_code, is_dispute
    from {{ ref('std_police_incident_class') }}
),

jurisdiction_street as (
    select
        cast(jurisdiction.jurisdiction_code as varchar) as jurisdiction_code,
        cast(street.street_code as varchar) as street_code,
        cast(street.district_code as varchar) as district_code,
        {{ match_key('street.street_name') }} as street_key
    from {{ ref('std_police_jurisdiction') }} as jurisdiction
    inner join {{ ref('std_division_street') }} as street
        on cast(street.street_code as varchar) = cast(jurisdiction.street_code as varchar)
),

jurisdiction as (
    select
        jurisdiction_code,
        min(district_code) as district_code,
        case when count(*) = 1 then min(street_code) end as only_street_code
    from jurisdiction_street
    group by jurisdiction_code
),

conformed as (

    select
        fresh.*,
        channel.code as report_channel_code,
        coalesce(incident_class_value.code, incident_type.incident_class_code) as incident_class_code,
        incident_type_value.code as incident_type_code,
        incident_type.category_code,
        jurisdiction_value.code as jurisdiction_code,
        {{ match_key('fresh.incident_address') }} as incident_address_key
    from fresh
    left join channel on channel.report_channel = fresh.report_channel
    left join incident_class_value on incident_class_value.incident_class = fresh.incident_class
    left join incident_type_value on incident_type_value.incident_type = fresh.incident_type
    left join incident_type on incident_type.incident_type_code = incident_type_value.code
    left join jurisdiction_value on jurisdiction_value.jurisdiction = fresh.jurisdiction

),

street_match as (

    -- the street of the station's jurisdiction whose full name appears in the address (the longest wins)
    select conformed.incident_id, jurisdiction_street.street_code
    from conformed
    inner join jurisdiction_street
        on jurisdiction_street.jurisdiction_code = conformed.jurisdiction_code
        and contains(conformed.incident_address_key, jurisdiction_street.street_key)
    qualify row_number() over (
        partition by conformed.incident_id order by length(jurisdiction_street.street_key) desc,
            jurisdiction_street.street_code
    ) = 1

),

located as (
    select
        conformed.incident_id,
        conformed.incident_address_key,
        jurisdiction.district_code,
        coalesce(street_match.street_code, jurisdiction.only_street_code) as street_code
    from conformed
    left join jurisdiction on jurisdiction.jurisdiction_code = conformed.jurisdiction_code
    left join street_match on street_match.incident_id = conformed.incident_id
),

-- the community named in the address, where it names one (docs/governance.md)
community_match as (
    {{ community_in_address('located', 'incident_id', 'incident_address_key', 'street_code', 'district_code') }}
)

select
    i.incident_id,
    i.reported_at,
    cast(timezone({{ city_timezone() }}, i.reported_at) as date) as reported_date,
    i.report_channel,
    i.report_channel_code,
    i.incident_class,
    i.incident_class_code,
    incident_class.is_dispute,
    i.incident_type,
    i.incident_type_code,
    i.category_code,
    i.jurisdiction,
    i.jurisdiction_code,
    located.district_code,
    located.street_code,
    community_match.community_code,
    i.incident_address,
    i.disposal_result,
    i.arrived_at,
    i.closed_at,
    i.partition_key,
    i._source_file as source_file,
    i._source_row as source_row,
    i._load_id as load_id,
    i._record_hash as record_hash
from conformed as i
left join incident_class on incident_class.incident_class_code = i.incident_class_code
left join located on located.incident_id = i.incident_id
left join community_match on community_match.incident_id = i.incident_id
