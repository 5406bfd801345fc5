{#-
  Every assessment indicator's value per level (district, street, community), area and month: the union of the value
  queries (int_assessment__<fact> models, each emitting district_code, street_code, month_start, indicator_code,
  numerator, denominator, and community_code when its facts carry one: those in `community_value_queries`; the
  others have no community level), rolled up as sum(numerator) / sum(denominator). A rate, a mean and a per-resident figure all roll up
  so (a per-10,000 query puts population / 10,000 in the denominator). A new indicator is one more value query
  appended to `value_queries` and one row in cfg_assessment_indicator.

  Values are rounded to 9 decimals: a parallel sum's order moves the last bits, and the months an increment
  recomputes must equal a rebuild's.

  Incremental by value query and month: a windowed run recomputes, of each value query, only the months the window
  can change (macros/assessment_increments.sql); the pre-hook deletes them first. Every other run rebuilds all.
-#}
{{ config(
    pre_hook="{{ delete_assessment_months_rebuilt() }}",
    post_hook="{{ record_assessment_record_months() }}",
) }}
{%- set value_queries = [
    'int_assessment__service_request',
    'int_assessment__grid_event',
    'int_assessment__dispute_case',
    'int_assessment__data_quality',
    'int_assessment__dispute_journey',
    'int_assessment__police_incident',
    'int_assessment__emergency_event',
    'int_assessment__credit_list_entry',
    'int_assessment__volunteer_service',
] -%}
{%- set community_value_queries = [
    'int_assessment__service_request',
    'int_assessment__grid_event',
    'int_assessment__volunteer_service',
] -%}

{%- set rebuilt = assessment_rebuilt_months(value_queries) -%}
{%- if assessment_increment() %}
{{ assessment_increment_marker(rebuilt) }}
{%- endif %}
{%- for record in assessment_record_queries().values() %}
-- depends_on: {{ ref(record.fact) }}
{%- endfor %}
-- depends_on: {{ ref(assessment_quality_query().scores) }}

with value_part as (
    {%- for query in value_queries if rebuilt[query] %}
    select '{{ query }}' as value_query, district_code, street_code,
        {% if query in community_value_queries %}community_code{% else %}cast(null as varchar){% endif %}
            as community_code,
        month_start, indicator_code, cast(numerator as double) as numerator, cast(denominator as double) as denominator
    from {{ ref(query) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select cast(null as varchar) as value_query, cast(null as varchar) as district_code,
        cast(null as varchar) as street_code, cast(null as varchar) as community_code, cast(null as date) as month_start,
        cast(null as varchar) as indicator_code, cast(null as double) as numerator, cast(null as double) as denominator
    where false
    {%- endfor %}
)

select
    value_query,
    'district' as level,
    district_code as area_code,
    month_start,
    indicator_code,
    {{ assessment_value('sum(numerator)', 'sum(denominator)') }} as indicator_value
from value_part
group by value_query, district_code, month_start, indicator_code
union all
select
    value_query,
    'street' as level,
    street_code as area_code,
    month_start,
    indicator_code,
    {{ assessment_value('sum(numerator)', 'sum(denominator)') }} as indicator_value
from value_part
where street_code is not null
group by value_query, street_code, month_start, indicator_code
union all
select
    value_query,
    'community' as level,
    community_code as area_code,
    month_start,
    indicator_code,
    {{ assessment_value('sum(numerator)', 'sum(denominator)') }} as indicator_value
from value_part
where community_code is not null
group by value_query, community_code, month_start, indicator_code
