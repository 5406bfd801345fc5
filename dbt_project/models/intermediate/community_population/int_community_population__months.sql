{#-
  Resident population by community (社区实有人口), one row per community and month: the latest landed version of each
  (community_code, stat_month), the month parsed from its text (2026-03, 202603, 2026年3月; the landed partition's
  month when it does not parse), the community conformed to std_division_community with its street and district.
  A table: a few thousand rows a year, rebuilt whole so that a month-on-month comparison always sees every month.
-#}
with delivered as (

    select
        *,
        coalesce(
            cast(try_strptime(replace(stat_month, '/', '-'), ['%Y-%m', '%Y%m', '%Y年%m月', '%Y-%m-%d']) as date),
            partition_key
        ) as month
    from {{ ref('stg_community_population__community_months') }}
    where community_code is not null

),

latest as (

    select * from delivered
    qualify row_number() over (partition by community_code, month order by {{ latest_version_order() }}) = 1

),

community_lookup as ({{ element_lookup_sql('community_population', 'community_code') }}),

community as (
    select cast(community_code as varchar) as community_code, cast(street_code as varchar) as street_code,
        cast(district_code as varchar) as district_code
    from {{ ref('std_division_community') }}
)

select
    p.community_code as community_code_delivered,
    community.community_code,
    community.street_code,
    community.district_code,
    cast(date_trunc('month', p.month) as date) as month,
    p.stat_month,
    p.registered_population,
    p.resident_population,
    p.floating_population,
    p.population_60_plus,
    p.partition_key,
    p._source_file as source_file,
    p._source_row as source_row,
    p._load_id as load_id,
    p._record_hash as record_hash
from latest as p
left join community_lookup on community_lookup.lookup_key = {{ match_key('p.community_code') }}
left join community on community.community_code = community_lookup.code
