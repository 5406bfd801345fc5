{#-
  Governance scorecard (社会治理考核), one row per district per month, rebuilt from the facts on every run.
  Every district appears in every month between the first and the last month with any activity (zeros when it had
  none). Cohorts: requests by the month accepted, grid events by the month reported, disputes by the month
  accepted. Rates are NULL when their denominator is 0. Rows whose district did not conform are not in any district,
  and records with implausible dates (has_implausible_dates) are left out, so the month spine stays within the
  landed data's plausible window.
-#}
with request as (
    select
        district_code,
        cast(date_trunc('month', accepted_date) as date) as month_start,
        count(*) as requests_received,
        count(*) filter (where is_closed) as requests_closed,
        count(*) filter (where is_closed_on_time) as requests_closed_on_time,
        count(*) filter (where satisfaction_code is not null) as requests_with_satisfaction,
        count(*) filter (where is_satisfied) as requests_satisfied,
        count(*) filter (where is_repeat_request) as repeat_requests
    from {{ ref('fct_service_request') }}
    where district_code is not null and accepted_date is not null and not has_implausible_dates
    group by all
),

grid_event as (
    select
        district_code,
        cast(date_trunc('month', reported_date) as date) as month_start,
        count(*) as grid_events_reported,
        count(*) filter (where is_closed) as grid_events_closed
    from {{ ref('fct_grid_event') }}
    where district_code is not null and reported_date is not null and not has_implausible_dates
    group by all
),

dispute as (
    select
        district_code,
        cast(date_trunc('month', accepted_date) as date) as month_start,
        count(*) filter (where outcome_code is not null) as disputes_mediated,
        count(*) filter (where is_mediation_success) as disputes_mediated_successfully
    from {{ ref('fct_dispute_case') }}
    where district_code is not null and accepted_date is not null and not has_implausible_dates
    group by all
),

activity_month as (
    select month_start from request
    union all
    select month_start from grid_event
    union all
    select month_start from dispute
),

month_spine as (
    select cast(month_start as date) as month_start
    from (
        select unnest(generate_series(min(month_start), max(month_start), interval 1 month)) as month_start
        from activity_month
        having count(*) > 0
    ) as months
),

district as (
    select cast(district_code as varchar) as district_code, cast(district_name as varchar) as district_name
    from {{ ref('std_division_district') }}
),

spine as (
    select district.district_code, district.district_name, month_spine.month_start
    from district
    cross join month_spine
)

select
    cast(spine.district_code as varchar) as district_code,
    cast(spine.district_name as varchar) as district_name,
    cast(spine.month_start as date) as month_start,
    cast(coalesce(request.requests_received, 0) as bigint) as requests_received,
    cast(coalesce(request.requests_closed, 0) as bigint) as requests_closed,
    cast(coalesce(request.requests_closed_on_time, 0) as bigint) as requests_closed_on_time,
    cast({{ safe_rate('request.requests_closed', 'request.requests_received') }} as double) as closure_rate,
    cast({{ safe_rate('request.requests_closed_on_time', 'request.requests_closed') }} as double) as on_time_closure_rate,
    cast({{ safe_rate('request.requests_satisfied', 'request.requests_with_satisfaction') }} as double) as satisfaction_rate,
    cast({{ safe_rate('request.repeat_requests', 'request.requests_received') }} as double) as repeat_request_rate,
    cast(coalesce(grid_event.grid_events_reported, 0) as bigint) as grid_events_reported,
    cast(coalesce(grid_event.grid_events_closed, 0) as bigint) as grid_events_closed,
    cast(coalesce(dispute.disputes_mediated, 0) as bigint) as disputes_mediated,
    cast(coalesce(dispute.disputes_mediated_successfully, 0) as bigint) as disputes_mediated_successfully,
    cast({{ safe_rate('dispute.disputes_mediated_successfully', 'dispute.disputes_mediated') }} as double)
        as mediation_success_rate
from spine
left join request
    on request.district_code = spine.district_code and request.month_start = spine.month_start
left join grid_event
    on grid_event.district_code = spine.district_code and grid_event.month_start = spine.month_start
left join dispute
    on dispute.district_code = spine.district_code and dispute.month_start = spine.month_start
