{#-
  per_population(indicator_code, counts, population): the value query rows of an indicator "count per population
  unit" per district, street and month. `counts` and `population` name CTEs with district_code, street_code,
  month_start and numerator (counts) or denominator (population in the indicator's unit, e.g. residents / 10,000).
  Each counted month takes the latest population month at or before it (a monthly register is delivered after
  its month ends, so the current month uses last month's). An area with population but no count that month
  counts 0; only months in which the counted source has data are assessed. With by_community, both CTEs also carry
  community_code (NULL where unknown), which the rows match on and carry on to the community level.
-#}
{% macro per_population(indicator_code, counts, population, by_community=false) -%}
select
    coalesce({{ counts }}.district_code, population_now.district_code) as district_code,
    coalesce({{ counts }}.street_code, population_now.street_code) as street_code,
    {%- if by_community %}
    coalesce({{ counts }}.community_code, population_now.community_code) as community_code,
    {%- endif %}
    coalesce({{ counts }}.month_start, population_now.month_start) as month_start,
    '{{ indicator_code }}' as indicator_code,
    coalesce({{ counts }}.numerator, 0) as numerator,
    population_now.denominator
from {{ counts }}
full outer join (
    select population_month.month_start, population.district_code, population.street_code,
        {%- if by_community %} population.community_code,{% endif %} population.denominator
    from (
        select counted.month_start, max(population.month_start) as population_month_start
        from (select distinct month_start from {{ counts }}) as counted
        inner join {{ population }} as population on population.month_start <= counted.month_start
        group by counted.month_start
    ) as population_month
    inner join {{ population }} as population on population.month_start = population_month.population_month_start
) as population_now
    on population_now.district_code = {{ counts }}.district_code
    and population_now.street_code is not distinct from {{ counts }}.street_code
    {%- if by_community %}
    and population_now.community_code is not distinct from {{ counts }}.community_code
    {%- endif %}
    and population_now.month_start = {{ counts }}.month_start
where coalesce({{ counts }}.month_start, population_now.month_start) in (select month_start from {{ counts }})
{%- endmacro %}

{#- resident_population(unit, by_community): select of the resident population per district, street (and community
    with by_community) and month (fct_community_population), divided by `unit` (10000: per 10,000 residents; 1: per
    resident). -#}
{% macro resident_population(unit, by_community=false) -%}
select district_code, street_code, {% if by_community %}community_code, {% endif -%}
    month as month_start, sum(resident_population) / {{ unit }}.0 as denominator
from {{ ref('fct_community_population') }}
where district_code is not null
group by district_code, street_code, {% if by_community %}community_code, {% endif %}month
{%- endmacro %}
