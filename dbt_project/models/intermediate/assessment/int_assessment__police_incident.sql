{#-
  Value query of 110 incidents per 10,000 residents (每万人110警情数): incidents by month reported over the resident
  population of the same month (fct_community_population). Records without a district or with implausible dates
  are left out.
-#}
with incident as (
    select
        district_code,
        street_code,
        cast({{ dbt.date_trunc('month', 'reported_date') }} as date) as month_start,
        count(*) as numerator
    from {{ ref('fct_police_incident') }}
    where district_code is not null and reported_date is not null and not has_implausible_dates
        and {{ assessment_month_filter() }}
    group by district_code, street_code, {{ dbt.date_trunc('month', 'reported_date') }}
),

population as (
    {{ resident_population(10000) }}
)

{{ per_population('police_incidents_per_10k', 'incident', 'population') }}
