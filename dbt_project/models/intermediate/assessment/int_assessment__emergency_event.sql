{#-
  Value queries of emergencies (突发事件): events per 10,000 residents by month reported (population of the same
  month, fct_community_population) and mean minutes to the first response. Records without a district or with
  implausible dates are left out.
-#}
with emergency as (
    select
        district_code,
        street_code,
        cast({{ dbt.date_trunc('month', 'reported_date') }} as date) as month_start,
        response_minutes
    from {{ ref('fct_emergency_event') }}
    where district_code is not null and reported_date is not null and not has_implausible_dates
        and {{ assessment_month_filter() }}
),

event_count as (
    select district_code, street_code, month_start, count(*) as numerator
    from emergency
    group by district_code, street_code, month_start
),

population as (
    {{ resident_population(10000) }}
),

per_10k as (
    {{ per_population('emergency_events_per_10k', 'event_count', 'population') }}
)

select district_code, street_code, month_start, indicator_code, numerator, denominator from per_10k
union all
select district_code, street_code, month_start, 'emergency_response_minutes' as indicator_code,
    sum(response_minutes) as numerator, count(response_minutes) as denominator
from emergency
group by district_code, street_code, month_start
