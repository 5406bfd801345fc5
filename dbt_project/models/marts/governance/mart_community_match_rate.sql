{#-
  Community match rate (社区匹配率) per source and month: the share of records whose community is known, from
  the grid (grid events) or from the address (12345 hotline, 110 incidents; macro community_in_address).
-#}
select
    cast(source as varchar) as source,
    cast(date_trunc('month', occurred_date) as date) as month,
    cast(count(*) as integer) as records,
    cast(count(community_code) as integer) as records_with_community,
    cast(count(street_code) as integer) as records_with_street,
    cast({{ quality_ratio('count(community_code)', 'count(*)') }} as double) as community_match_rate
from {{ ref('int_governance__record') }}
group by source, date_trunc('month', occurred_date)
