{#-
  Dispute cases of people's mediation (人民调解案件), one row per case (latest version). Monthly partitions:
  incremental over the months of the window vars (macros/incremental.sql). duration_days = closed_date -
  accepted_date; NULL when negative or when the case's dates are implausible for its month (has_implausible_dates).
-#}
{{ config(
    materialized='incremental',
    unique_key='case_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_versions_gone_from('int_mediation_cases__cases', 'case_id', grain='month') }}",
) }}

with dispute as (

    select
        *,
        {{ has_implausible_dates(['accepted_date', 'closed_date'], 'partition_key', grain='month') }}
            as has_implausible_dates
    from ({{ records_in_window('int_mediation_cases__cases', 'case_id', grain='month') }}) as window_case

)

select
    cast(case_id as varchar) as case_id,
    cast(accepted_date as date) as accepted_date,
    cast(closed_date as date) as closed_date,
    cast(district_code as varchar) as district_code,
    cast(street_code as varchar) as street_code,
    cast(mediation_committee as varchar) as mediation_committee,
    cast(dispute_category_code as varchar) as dispute_category_code,
    cast(source_category as varchar) as source_category,
    cast(outcome_code as varchar) as outcome_code,
    cast(is_mediation_success as boolean) as is_mediation_success,
    cast(agreement_amount as decimal(18, 2)) as agreement_amount,
    cast(applicant_pseudonym as varchar) as applicant_pseudonym,
    cast(respondent_pseudonym as varchar) as respondent_pseudonym,
    cast(applicant_id_is_valid as boolean) as applicant_id_is_valid,
    cast(respondent_id_is_valid as boolean) as respondent_id_is_valid,
    cast(is_referred_to_litigation as boolean) as is_referred_to_litigation,
    cast({{ plausible_duration('closed_date - accepted_date', 'has_implausible_dates') }} as integer) as duration_days,
    cast(has_implausible_dates as boolean) as has_implausible_dates,
    cast(partition_key as date) as partition_key,
    cast(source_file as varchar) as source_file
from dispute
