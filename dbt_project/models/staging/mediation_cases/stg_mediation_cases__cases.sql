{#- People's mediation cases as landed from the monthly workbooks, cleaned and typed: every landed version
    (deduplication is in intermediate). Dates arrive as Excel cells (see parse_excel_date). Raw personal fields are
    still here; they never leave intermediate. -#}
with source as (

    select * from {{ source('mediation_cases', 'cases') }}

)

select
    {{ clean_code('case_id') }} as case_id,
    {{ parse_excel_date('accepted_date') }} as accepted_date,
    {{ clean_text('mediation_committee') }} as mediation_committee,
    {{ clean_code('district_name') }} as district_name,
    {{ clean_code('street_name') }} as street_name,
    {{ clean_code('source_category') }} as source_category,
    {{ clean_text('applicant_name') }} as applicant_name,
    {{ normalize_citizen_id('applicant_id_number') }} as applicant_id_number,
    {{ clean_text('respondent_name') }} as respondent_name,
    {{ normalize_citizen_id('respondent_id_number') }} as respondent_id_number,
    {{ clean_code('outcome_name') }} as outcome_name,
    {{ parse_excel_date('closed_date') }} as closed_date,
    {{ parse_decimal('agreement_amount') }} as agreement_amount,
    {{ parse_boolean_zh('referred_to_litigation') }} as is_referred_to_litigation,
    {{ landing_lineage_columns() }}
from source
