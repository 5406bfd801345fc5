{#-
  People's mediation cases, latest version per case_id, conformed (district, street, dispute category, outcome)
  and de-identified (citizen IDs -> validity flag + pseudonym; names dropped). Monthly partitions: the window vars
  select months. Incremental like the other int_* models (macros/incremental.sql).
-#}
{{ config(
    materialized='incremental',
    unique_key='case_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_versions_gone_from('stg_mediation_cases__cases', 'case_id', grain='month') }}",
) }}

with fresh as ({{ latest_versions_in_window('stg_mediation_cases__cases', 'case_id', grain='month') }}),

district_lookup as ({{ element_lookup_sql('mediation_cases', 'district_name') }}),

street_lookup as ({{ element_lookup_sql('mediation_cases', 'street_name') }}),

outcome_lookup as ({{ element_lookup_sql('mediation_cases', 'outcome_name') }}),

outcome as (
    select cast(outcome_code as varchar) as outcome_code, is_success from {{ ref('std_mediation_outcome') }}
),

dispute_category_lookup as ({{ element_lookup_sql('mediation_cases', 'source_category') }})

select
    c.case_id,
    c.accepted_date,
    c.closed_date,
    c.district_name,
    district_lookup.code as district_code,
    c.street_name,
    street_lookup.code as street_code,
    c.mediation_committee,
    c.source_category,
    dispute_category_lookup.code as dispute_category_code,
    c.outcome_name,
    outcome_lookup.code as outcome_code,
    outcome.is_success as is_mediation_success,
    c.agreement_amount,
    {{ pseudonym('c.applicant_id_number') }} as applicant_pseudonym,
    {{ pseudonym('c.respondent_id_number') }} as respondent_pseudonym,
    {{ citizen_id_is_valid('c.applicant_id_number') }} as applicant_id_is_valid,
    {{ citizen_id_is_valid('c.respondent_id_number') }} as respondent_id_is_valid,
    c.is_referred_to_litigation,
    nullif(trim(c.referral_record_id), '') as referral_record_id,
    c.partition_key,
    c._source_file as source_file,
    c._source_row as source_row,
    c._load_id as load_id,
    c._record_hash as record_hash
from fresh as c
left join district_lookup on district_lookup.lookup_key = {{ match_key('c.district_name') }}
left join street_lookup
    on street_lookup.district_code = district_lookup.code
    and street_lookup.lookup_key = {{ match_key('c.street_name') }}
left join dispute_category_lookup on dispute_category_lookup.lookup_key = {{ match_key('c.source_category') }}
left join outcome_lookup on outcome_lookup.lookup_key = {{ match_key('c.outcome_name') }}
left join outcome on outcome.outcome_code = outcome_lookup.code
