{#-
  Value query of people's mediation success: successful / cases with an outcome, per district, street and month
  accepted. Records without a district or with implausible dates are left out.
-#}
select
    district_code,
    street_code,
    cast({{ dbt.date_trunc('month', 'accepted_date') }} as date) as month_start,
    'mediation_success_rate' as indicator_code,
    sum(case when is_mediation_success then 1 else 0 end) as numerator,
    sum(case when outcome_code is not null then 1 else 0 end) as denominator
from {{ ref('fct_dispute_case') }}
where district_code is not null and accepted_date is not null and not has_implausible_dates
group by district_code, street_code, {{ dbt.date_trunc('month', 'accepted_date') }}
