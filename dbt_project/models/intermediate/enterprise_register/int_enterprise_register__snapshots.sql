{#-
  The enterprise register (市场主体登记), one row per enterprise and monthly snapshot, conformed to the city
  standard: USCC normalized and checked (GB 32100; invalid codes kept and flagged), registration status via
  std_registration_status and map_registration_status__enterprise_register, industry rolled up to its GB/T 4754-2017
  division, district from the registration authority (map_district__enterprise_register), street from the address.
  The legal representative (a person) leaves as a pseudonym. version_hash fingerprints what a history version
  tracks (dim_enterprise starts a new version when it changes).
  Incremental by whole snapshots: a run replaces the months of its window (delete+insert on partition_key).
-#}
{{ config(
    materialized='incremental',
    unique_key='partition_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_snapshot_periods_gone_from('stg_enterprise_register__enterprises') }}",
) }}

with delivered as (

    -- a snapshot lists an enterprise once; should it list one twice, its last row is the snapshot's
    select *, {{ normalize_uscc('uscc') }} as uscc_normalized
    from {{ ref('stg_enterprise_register__enterprises') }}
    where uscc is not null and {{ partition_window_filter('partition_key', grain='month') }}
    qualify row_number() over (
        partition by partition_key, {{ normalize_uscc('uscc') }} order by _source_file desc, _source_row desc
    ) = 1

),

status_lookup as ({{ element_lookup_sql('enterprise_register', 'registration_status') }}),

registration_status as (
    select cast(registration_status_code as varchar) as registration_status_code, is_operating,
        cast(closing_reason as varchar) as closing_reason
    from {{ ref('std_registration_status') }}
),

district_lookup as ({{ element_lookup_sql('enterprise_register', 'registration_authority') }}),

industry_division as (
    select cast(industry_code as varchar) as industry_code, cast(section_code as varchar) as section_code
    from {{ ref('std_industry') }}
    where industry_level = 'division'
),

street as (
    select cast(street_code as varchar) as street_code, {{ match_key('street_name') }} as street_key,
        cast(district_code as varchar) as district_code
    from {{ ref('std_division_street') }}
),

conformed as (

    select
        d.*,
        status_lookup.code as registration_status_code,
        district_lookup.code as district_code,
        -- a class code (3011) or group code (301) rolls up to its division (30); the section letter is optional
        nullif(regexp_extract(upper(d.industry_code), '^[A-T]?([0-9]{2,4})$', 1), '') as industry_digits,
        {{ match_key('d.address') }} as address_key
    from delivered as d
    left join status_lookup on status_lookup.lookup_key = {{ match_key('d.registration_status') }}
    left join district_lookup on district_lookup.lookup_key = {{ match_key('d.registration_authority') }}

),

street_match as (

    -- the street of the authority's district whose full name appears in the address (the longest wins)
    select conformed.partition_key, conformed.uscc_normalized, street.street_code
    from conformed
    inner join street
        on street.district_code = conformed.district_code
        and contains(conformed.address_key, street.street_key)
    qualify row_number() over (
        partition by conformed.partition_key, conformed.uscc_normalized
        order by length(street.street_key) desc, street.street_code
    ) = 1

),

enterprise as (

    select
        c.uscc_normalized as uscc,
        {{ uscc_is_valid('c.uscc_normalized') }} as code_is_valid,
        c.enterprise_name,
        c.registration_status,
        c.registration_status_code,
        registration_status.is_operating,
        registration_status.closing_reason,
        c.established_date,
        c.approved_date,
        c.industry_code as industry_code_delivered,
        c.industry_digits as industry_class_code,
        industry_division.industry_code,
        industry_division.section_code as industry_section_code,
        cast(c.registered_capital as decimal(18, 4)) as registered_capital,
        c.address as enterprise_address,
        {{ pseudonym(clean_code('c.legal_representative')) }} as legal_representative_pseudonym,
        c.registration_authority,
        c.district_code,
        street_match.street_code,
        c.partition_key,
        c._source_file as source_file,
        c._source_row as source_row,
        c._load_id as load_id,
        c._record_hash as record_hash
    from conformed as c
    left join registration_status on registration_status.registration_status_code = c.registration_status_code
    left join industry_division on industry_division.industry_code = left(c.industry_digits, 2)
    left join street_match
        on street_match.partition_key = c.partition_key and street_match.uscc_normalized = c.uscc_normalized

)

select
    *,
    -- what a history version tracks; a change of any of these starts a new version
    md5(to_json([
        enterprise_name, coalesce(registration_status_code, registration_status), cast(established_date as varchar),
        cast(approved_date as varchar), coalesce(industry_class_code, industry_code_delivered),
        cast(registered_capital as varchar),
        enterprise_address, legal_representative_pseudonym, district_code, street_code
    ])::varchar) as version_hash
from enterprise
