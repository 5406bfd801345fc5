{#-
  Value query of the 12345 hotline indicators (考核指标取数): numerator and denominator per district, street (NULL
  when it did not conform) and month accepted. Records without a district or with implausible dates are left out,
  as in mart_governance_scorecard.
-#}
with request as (
    select
        district_code,
        street_code,
        cast({{ dbt.date_trunc('month', 'accepted_date') }} as date) as month_start,
        is_closed,
        is_closed_on_time,
        satisfaction_code,
        is_satisfied,
        is_repeat_request
    from {{ ref('fct_service_request') }}
    where district_code is not null and accepted_date is not null and not has_implausible_dates
)

select district_code, street_code, month_start, 'hotline_closure_rate' as indicator_code,
    sum(case when is_closed then 1 else 0 end) as numerator, count(*) as denominator
from request
group by district_code, street_code, month_start
union all
select district_code, street_code, month_start, 'hotline_on_time_closure_rate' as indicator_code,
    sum(case when is_closed_on_time then 1 else 0 end) as numerator,
    sum(case when is_closed then 1 else 0 end) as denominator
from request
group by district_code, street_code, month_start
union all
select district_code, street_code, month_start, 'hotline_satisfaction_rate' as indicator_code,
    sum(case when is_satisfied then 1 else 0 end) as numerator,
    sum(case when satisfaction_code is not null then 1 else 0 end) as denominator
from request
group by district_code, street_code, month_start
union all
select district_code, street_code, month_start, 'hotline_repeat_request_rate' as indicator_code,
    sum(case when is_repeat_request then 1 else 0 end) as numerator, count(*) as denominator
from request
group by district_code, street_code, month_start
