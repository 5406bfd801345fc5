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

with superseded as (

    -- a snapshot lists an enterprise once; should it list one twice, its last row is the snapshot's: the earlier
    -- rows, found on the key columns alone (the wide rows are never sorted)
    select partition_key, _source_file, _source_row
    from (
        select partition_key, _source_file, _source_row,
            row_number() over (
                partition by partition_key, {{ normalize_uscc('uscc') }} order by _source_file desc, _source_row desc
            ) as position
        from {{ ref('stg_enterprise_register__enterprises') }}
        where uscc is not null and {{ partition_window_filter('partition_key', grain='month') }}
    ) as listed
    where position > 1

),

delivered as (

    select *, {{ normalize_uscc('uscc') }} as uscc_normalized
    from {{ ref('stg_enterprise_register__enterprises') }} as listed
    where uscc is not null and {{ partition_window_filter('partition_key', grain='month') }}
      and not exists (
        select 1 from superseded
        where superseded.partition_key = listed.partition_key and superseded._source_file = listed._source_file
          and superseded._source_row = listed._source_row
      )

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

address as (

    -- every delivered address with its district, once: snapshots repeat an enterprise's address month after month
    select distinct district_lookup.code as district_code, {{ match_key('listed.address') }} as address_key
    from {{ ref('stg_enterprise_register__enterprises') }} as listed
    inner join district_lookup on district_lookup.lookup_key = {{ match_key('listed.registration_authority') }}
    where listed.uscc is not null and {{ partition_window_filter('listed.partition_key', grain='month') }}

),

address_street as (

    -- the street of the authority's district whose full name appears in the address (the longest wins)
    select address.district_code, address.address_key, street.street_code
    from address
    inner join street
        on street.district_code = address.district_code
        and contains(address.address_key, street.street_key)
    qualify row_number() over (
        partition by address.district_code, address.address_key
        order by length(street.street_key) desc, street.street_code
    ) = 1

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
        address_street.street_code,
        c.partition_key,
        c._source_file as source_file,
        c._source_row as source_row,
        c._load_id as load_id,
        c._record_hash as record_hash
    from conformed as c
    left join registration_status on registration_status.registration_status_code = c.registration_status_code
    left join industry_division on industry_division.industry_code = left(c.industry_digits, 2)
    left join address_street
        on address_street.district_code = c.district_code and address_street.address_key = c.address_key

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
