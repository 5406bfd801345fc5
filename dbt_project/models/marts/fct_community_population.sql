{#-
  Resident population by community and month (社区实有人口), the denominators of per-capita rates, with a
  plausibility rule: a count below zero, more residents aged 60+ than residents, or a resident population that
  moved by more than the var max_population_change_share since the community's previous month is implausible
  (flagged, kept). A table (small): the month-on-month comparison needs every month.
-#}
with population as (

    select
        *,
        lag(resident_population) over (partition by community_code_delivered order by month) as previous_resident,
        lag(month) over (partition by community_code_delivered order by month) as previous_month
    from {{ ref('int_community_population__months') }}

),

flagged as (

    select
        *,
        coalesce(least(registered_population, resident_population, floating_population, population_60_plus) < 0,
                 false) as has_negative_count,
        coalesce(population_60_plus > resident_population, false) as has_more_elderly_than_residents,
        coalesce(
            previous_month = cast(month - interval 1 month as date)
            and previous_resident > 0
            and abs(resident_population - previous_resident)
                > {{ var('max_population_change_share') }} * previous_resident,
            false
        ) as has_resident_jump
    from population

)

select
    cast(community_code as varchar) as community_code,
    cast(street_code as varchar) as street_code,
    cast(district_code as varchar) as district_code,
    cast(month as date) as month,
    cast(registered_population as bigint) as registered_population,
    cast(resident_population as bigint) as resident_population,
    cast(floating_population as bigint) as floating_population,
    cast(population_60_plus as bigint) as population_60_plus,
    cast(community_code_delivered as varchar) as community_code_delivered,
    cast(case when previous_month = cast(month - interval 1 month as date) then previous_resident end as bigint)
        as previous_month_resident_population,
    cast(has_negative_count as boolean) as has_negative_count,
    cast(has_more_elderly_than_residents as boolean) as has_more_elderly_than_residents,
    cast(has_resident_jump as boolean) as has_resident_jump,
    cast(not (has_negative_count or has_more_elderly_than_residents or has_resident_jump) as boolean) as is_plausible,
    cast(partition_key as date) as partition_key,
    cast(source_file as varchar) as source_file
from flagged
