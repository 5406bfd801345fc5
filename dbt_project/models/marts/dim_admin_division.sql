{#- Administrative divisions of the city (行政区划): districts, streets and communities in one table, each row with
    its parent and its district / street ancestors. -#}
with district as (
    select cast(district_code as varchar) as district_code, cast(district_name as varchar) as district_name,
        cast(city_code as varchar) as city_code
    from {{ ref('std_division_district') }}
),

street as (
    select cast(street_code as varchar) as street_code, cast(street_name as varchar) as street_name,
        cast(district_code as varchar) as district_code
    from {{ ref('std_division_street') }}
),

community as (
    select cast(community_code as varchar) as community_code, cast(community_name as varchar) as community_name,
        cast(street_code as varchar) as street_code
    from {{ ref('std_division_community') }}
),

division as (

    select
        district.district_code as division_code,
        district.district_name as division_name,
        'district' as division_level,
        district.city_code as parent_code,
        district.district_code,
        district.district_name,
        cast(null as varchar) as street_code,
        cast(null as varchar) as street_name
    from district

    union all

    select
        street.street_code,
        street.street_name,
        'street',
        street.district_code,
        district.district_code,
        district.district_name,
        street.street_code,
        street.street_name
    from street
    left join district on district.district_code = street.district_code

    union all

    select
        community.community_code,
        community.community_name,
        'community',
        community.street_code,
        district.district_code,
        district.district_name,
        street.street_code,
        street.street_name
    from community
    left join street on street.street_code = community.street_code
    left join district on district.district_code = street.district_code

)

select
    cast(division_code as varchar) as division_code,
    cast(division_name as varchar) as division_name,
    cast(division_level as varchar) as division_level,
    cast(parent_code as varchar) as parent_code,
    cast(district_code as varchar) as district_code,
    cast(district_name as varchar) as district_name,
    cast(street_code as varchar) as street_code,
    cast(street_name as varchar) as street_name
from division
