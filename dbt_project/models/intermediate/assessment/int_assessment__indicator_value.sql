{#-
  Every assessment indicator's value per level (district, street, community), area and month: the union of the value
  queries (int_assessment__<fact> models, each emitting district_code, street_code, month_start, indicator_code,
  numerator, denominator, and community_code when its facts carry one: those in `community_value_queries`; the
  others have no community level), rolled up as sum(numerator) / sum(denominator). A rate, a mean and a per-resident figure all roll up
  so (a per-10,000 query puts population / 10,000 in the denominator). A new indicator is one more value query
  appended to `value_queries` and one row in cfg_assessment_indicator.
-#}
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

with value_part as (
    {%- for query in value_queries %}
    select district_code, street_code,
        {% if query in community_value_queries %}community_code{% else %}cast(null as varchar){% endif %}
            as community_code,
        month_start, indicator_code, cast(numerator as double) as numerator, cast(denominator as double) as denominator
    from {{ ref(query) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    'district' as level,
    district_code as area_code,
    month_start,
    indicator_code,
    coalesce(sum(numerator), 0) / nullif(sum(denominator), 0) as indicator_value
from value_part
group by district_code, month_start, indicator_code
union all
select
    'street' as level,
    street_code as area_code,
    month_start,
    indicator_code,
    coalesce(sum(numerator), 0) / nullif(sum(denominator), 0) as indicator_value
from value_part
where street_code is not null
group by street_code, month_start, indicator_code
union all
select
    'community' as level,
    community_code as area_code,
    month_start,
    indicator_code,
    coalesce(sum(numerator), 0) / nullif(sum(denominator), 0) as indicator_value
from value_part
where community_code is not null
group by community_code, month_start, indicator_code
