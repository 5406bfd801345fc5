{#-
  Value query of the data-quality indicator: the data-quality composite (mart_data_quality_scorecard, 0–1) of the
  sources an area's records come from, weighted by the area's records of each source in the month. Each fact is
  paired with the contract source it is built from; a new fact joins by one more branch of `area_record`.
-#}
with area_record as (
    select 'hotline_12345' as source, district_code, street_code,
        cast({{ dbt.date_trunc('month', 'accepted_date') }} as date) as month_start
    from {{ ref('fct_service_request') }}
    where district_code is not null and accepted_date is not null and not has_implausible_dates
    union all
    select 'grid_events' as source, district_code, street_code,
        cast({{ dbt.date_trunc('month', 'reported_date') }} as date) as month_start
    from {{ ref('fct_grid_event') }}
    where district_code is not null and reported_date is not null and not has_implausible_dates
    union all
    select 'mediation_cases' as source, district_code, street_code,
        cast({{ dbt.date_trunc('month', 'accepted_date') }} as date) as month_start
    from {{ ref('fct_dispute_case') }}
    where district_code is not null and accepted_date is not null and not has_implausible_dates
    union all
    select 'police_incidents' as source, district_code, street_code,
        cast({{ dbt.date_trunc('month', 'reported_date') }} as date) as month_start
    from {{ ref('fct_police_incident') }}
    where district_code is not null and reported_date is not null and not has_implausible_dates
    union all
    select 'emergency_events' as source, district_code, street_code,
        cast({{ dbt.date_trunc('month', 'reported_date') }} as date) as month_start
    from {{ ref('fct_emergency_event') }}
    where district_code is not null and reported_date is not null and not has_implausible_dates
    union all
    select 'volunteer_services' as source, district_code, street_code,
        cast({{ dbt.date_trunc('month', 'started_at') }} as date) as month_start
    from {{ ref('fct_volunteer_service') }}
    where district_code is not null and started_at is not null
),

area_source as (
    select source, district_code, street_code, month_start, count(*) as records
    from area_record
    group by source, district_code, street_code, month_start
)

select
    area_source.district_code,
    area_source.street_code,
    area_source.month_start,
    'data_quality_score' as indicator_code,
    sum(area_source.records * quality.composite_score) as numerator,
    sum(area_source.records) as denominator
from area_source
inner join {{ ref('mart_data_quality_scorecard') }} as quality
    on quality.source = area_source.source and quality.month_start = area_source.month_start
where quality.composite_score is not null
group by area_source.district_code, area_source.street_code, area_source.month_start
