{#- Grids of the merged city grid (网格), with their community, street and district. -#}
select
    cast(grid.grid_code as varchar) as grid_code,
    cast(grid.grid_name as varchar) as grid_name,
    cast(grid.community_code as varchar) as community_code,
    cast(community.community_name as varchar) as community_name,
    cast(community.street_code as varchar) as street_code,
    cast(street.district_code as varchar) as district_code
from {{ ref('std_grid') }} as grid
left join {{ ref('std_division_community') }} as community
    on cast(community.community_code as varchar) = cast(grid.community_code as varchar)
left join {{ ref('std_division_street') }} as street
    on cast(street.street_code as varchar) = cast(community.street_code as varchar)
