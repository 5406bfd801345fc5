{#-
  Value query of grassroots resolution (矛盾基层化解率, 矛盾不上交), as mart_dispute_resolution_monthly counts it: of
  the disputes that started in the month and have ended, the share resolved at a grassroots stage, per district,
  street and month started. Disputes still in progress are left out.
-#}
select
    district_code,
    street_code,
    cast(started_month as date) as month_start,
    'grassroots_resolution_rate' as indicator_code,
    sum(case when journey_status = 'resolved_at_grassroots' then 1 else 0 end) as numerator,
    sum(case when journey_status <> 'in_progress' then 1 else 0 end) as denominator
from {{ ref('fct_dispute_journey') }}
where district_code is not null
group by district_code, street_code, started_month
