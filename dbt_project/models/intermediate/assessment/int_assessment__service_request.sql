{#-
  Value query of the 12345 hotline indicators (考核指标取数): numerator and denominator per district, street (NULL
  when it did not conform) and month accepted. Records without a district or with implausible dates are left out,
  as in mart_governance_scorecard. The community is the one the address named (int_hotline_12345__work_orders'
  address match), NULL when it named none.
-#}
with request as (
    select
        service_request.district_code,
        service_request.street_code,
        work_order.community_code,
        cast({{ dbt.date_trunc('month', 'service_request.accepted_date') }} as date) as month_start,
        service_request.is_closed,
        service_request.is_closed_on_time,
        service_request.satisfaction_code,
        service_request.is_satisfied,
        service_request.is_repeat_request
    from {{ ref('fct_service_request') }} as service_request
    -- few work orders name a community: joining only those keeps the join small (the others get NULL either way)
    left join (
        select work_order_id, community_code from {{ ref('int_hotline_12345__work_orders') }}
        where community_code is not null
    ) as work_order
        on work_order.work_order_id = service_request.work_order_id
    where service_request.district_code is not null and service_request.accepted_date is not null
        and not service_request.has_implausible_dates and {{ assessment_month_filter('service_request') }}
),

-- one pass over the requests; each indicator is then a pair of these counts
area_month as (
    select district_code, street_code, community_code, month_start,
        count(*) as requests,
        sum(case when is_closed then 1 else 0 end) as closed,
        sum(case when is_closed_on_time then 1 else 0 end) as closed_on_time,
        sum(case when is_satisfied then 1 else 0 end) as satisfied,
        sum(case when satisfaction_code is not null then 1 else 0 end) as rated,
        sum(case when is_repeat_request then 1 else 0 end) as repeated
    from request
    group by district_code, street_code, community_code, month_start
)

select district_code, street_code, community_code, month_start, 'hotline_closure_rate' as indicator_code,
    closed as numerator, requests as denominator
from area_month
union all
select district_code, street_code, community_code, month_start, 'hotline_on_time_closure_rate', closed_on_time, closed
from area_month
union all
select district_code, street_code, community_code, month_start, 'hotline_satisfaction_rate', satisfied, rated
from area_month
union all
select district_code, street_code, community_code, month_start, 'hotline_repeat_request_rate', repeated, requests
from area_month
