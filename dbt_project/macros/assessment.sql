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

{#- assessment_inputs(): the CTEs (each followed by a comma) mart_assessment_scorecard is built from: indicator (the
    seed cfg_assessment_indicator), area (every district, street and community of the standard), indicator_value
    (int_assessment__indicator_value, rounded: a parallel sum's order moves the last bits, and a rebuild must give
    the same scores) and assessed_month (the months in which any indicator has a value). -#}
{% macro assessment_inputs() -%}
indicator as (
    select indicator_code, indicator_name, direction, weight, target
    from {{ ref('cfg_assessment_indicator') }}
),

area as (
    select 'district' as level, district_code as area_code, district_name as area_name, district_code
    from {{ ref('std_division_district') }}
    union all
    select 'street' as level, street_code as area_code, street_name as area_name, district_code
    from {{ ref('std_division_street') }}
    union all
    select 'community' as level, community_code as area_code, community_name as area_name, district_code
    from {{ ref('std_division_community') }}
),

indicator_value as (
    select level, area_code, month_start, indicator_code, round(indicator_value, 9) as indicator_value
    from {{ ref('int_assessment__indicator_value') }}
),

assessed_month as (
    select distinct month_start from indicator_value where indicator_value is not null
),
{%- endmacro %}

{#- delete_assessment_months_changed(): pre-hook of mart_assessment_scorecard in an incremental run. Deletes the
    built months whose rows a full rebuild would change: a month in which an assessed area's indicator value
    differs from the built one (changed, added or gone), the month after it (its rank_change compares with it),
    and a month no longer assessed. The model then builds the assessed months the table lacks. Reads the indicator
    values (a few rows per area and month) and the built values, not the facts. -#}
{% macro delete_assessment_months_changed() -%}
{%- if execute and is_incremental() -%}
delete from {{ this }}
where month_start in (
    with {{ assessment_inputs() }}

    value_now as (
        select indicator_value.level, indicator_value.area_code, indicator_value.month_start,
            indicator_value.indicator_code, cast(indicator_value.indicator_value as double) as indicator_value
        from indicator_value
        inner join area on area.level = indicator_value.level and area.area_code = indicator_value.area_code
        inner join indicator on indicator.indicator_code = indicator_value.indicator_code
        where indicator_value.indicator_value is not null
    ),

    value_built as (
        select level, area_code, month_start, indicator_code, indicator_value
        from {{ this }}
        where indicator_value is not null
    ),

    changed_month as (
        select distinct month_start from (
            (select * from value_now except select * from value_built)
            union all
            (select * from value_built except select * from value_now)
        ) as changed
    )

    select month_start from changed_month
    union
    select cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) from changed_month
    union
    (select distinct month_start from {{ this }} except select month_start from assessed_month)
)
{%- endif -%}
{%- endmacro %}
