{#-
  Value query of volunteer hours per resident (人均志愿服务时长): approved service hours by month started over the
  resident population of the same month (fct_community_population), per community too.
-#}
with service as (
    select
        district_code,
        street_code,
        community_code,
        cast({{ dbt.date_trunc('month', 'started_at') }} as date) as month_start,
        sum(service_hours) as numerator
    from {{ ref('fct_volunteer_service') }}
    where district_code is not null and started_at is not null and is_approved
        and {{ assessment_month_filter() }}
    group by district_code, street_code, community_code, {{ dbt.date_trunc('month', 'started_at') }}
),

population as (
    {{ resident_population(1, by_community=true) }}
)

{{ per_population('volunteer_hours_per_resident', 'service', 'population', by_community=true) }}
