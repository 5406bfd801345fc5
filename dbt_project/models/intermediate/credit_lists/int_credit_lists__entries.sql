{#-
  Credit list entries, latest version per entry_id (a renewal or a removal is a later version of the entry),
  conformed (subject type, list type, district) and de-identified: a person's citizen ID becomes a GB 11643 validity
  flag and a pseudonym, names are dropped; an enterprise keeps its USCC (public) with its GB 32100 validity flag.
  Codes that fail their check are kept and flagged. The district is the USCC's registration division (characters
  3-8) when that is a district of the standard, else the delivered district. Weekly partitions: the window vars
  select ISO weeks. Incremental like the other int_* models (macros/incremental.sql).
-#}
{{ config(
    materialized='incremental',
    unique_key='entry_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_versions_gone_from('stg_credit_lists__entries', 'entry_id', grain='week') }}",
) }}

with fresh as ({{ latest_versions_in_window('stg_credit_lists__entries', 'entry_id', grain='week') }}),

subject_type_lookup as ({{ element_lookup_sql('credit_lists', 'subject_type_name') }}),

list_type_lookup as ({{ element_lookup_sql('credit_lists', 'list_type_name') }}),

district_lookup as ({{ element_lookup_sql('credit_lists', 'district_name') }}),

district as (
    select cast(district_code as varchar) as district_code from {{ ref('std_division_district') }}
),

entry as (
    select
        e.*,
        {{ normalize_uscc('e.uscc') }} as uscc_normalized,
        subject_type_lookup.code as subject_type,
        list_type_lookup.code as list_type_code,
        district_lookup.code as delivered_district_code
    from fresh as e
    left join subject_type_lookup on subject_type_lookup.lookup_key = {{ match_key('e.subject_type_name') }}
    left join list_type_lookup on list_type_lookup.lookup_key = {{ match_key('e.list_type_name') }}
    left join district_lookup on district_lookup.lookup_key = {{ match_key('e.district_name') }}
)

select
    entry.entry_id,
    entry.subject_type_name,
    entry.subject_type,
    case when entry.subject_type = 'enterprise' then entry.uscc_normalized end as uscc,
    case when entry.subject_type = 'person' then {{ pseudonym('entry.citizen_id_number') }} end as subject_pseudonym,
    case entry.subject_type
        when 'enterprise' then {{ uscc_is_valid('entry.uscc_normalized') }}
        when 'person' then {{ citizen_id_is_valid('entry.citizen_id_number') }}
    end as code_is_valid,
    entry.list_type_name,
    entry.list_type_code,
    entry.deciding_authority,
    entry.legal_basis,
    entry.listed_date,
    entry.valid_until,
    entry.removed_date,
    entry.district_name,
    coalesce(registered.district_code, entry.delivered_district_code) as district_code,
    entry.partition_key,
    entry._source_file as source_file,
    entry._source_row as source_row,
    entry._load_id as load_id,
    entry._record_hash as record_hash
from entry
left join district as registered
    on entry.subject_type = 'enterprise'
    and registered.district_code = substr(entry.uscc_normalized, 3, 6)
