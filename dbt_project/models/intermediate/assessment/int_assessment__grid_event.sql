{#-
  Value query of the grid indicators: closure rate and mean hours to close (closed events with a closing time),
  per district, street, community and month reported. Records without a district or with implausible dates are left out.
-#}
with grid_event as (
    select
        district_code,
        street_code,
        community_code,
        cast({{ dbt.date_trunc('month', 'reported_date') }} as date) as month_start,
        is_closed,
        closing_hours
    from {{ ref('fct_grid_event') }}
    where district_code is not null and reported_date is not null and not has_implausible_dates
        and {{ assessment_month_filter() }}
)

select district_code, street_code, community_code, month_start, 'grid_closure_rate' as indicator_code,
    sum(case when is_closed then 1 else 0 end) as numerator, count(*) as denominator
from grid_event
group by district_code, street_code, community_code, month_start
union all
select district_code, street_code, community_code, month_start, 'grid_closing_hours' as indicator_code,
    sum(case when is_closed then closing_hours end) as numerator,
    sum(case when is_closed and closing_hours is not null then 1 else 0 end) as denominator
from grid_event
group by district_code, street_code, community_code, month_start
