{#- The unified category taxonomy (统一事项分类), each category with its parent. -#}
select
    cast(category.category_code as varchar) as category_code,
    cast(category.category_name as varchar) as category_name,
    cast(category.category_level as integer) as category_level,
    cast(category.parent_category_code as varchar) as parent_category_code,
    cast(parent.category_name as varchar) as parent_category_name
from {{ ref('std_category') }} as category
left join {{ ref('std_category') }} as parent
    on cast(parent.category_code as varchar) = cast(category.parent_category_code as varchar)
