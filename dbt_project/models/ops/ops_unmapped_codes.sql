{#-
  Every source value that did not conform to the city standard (the conformed code is NULL although a value was
  delivered), counted over the latest version of every record. Extend the seed named in code_set, then rebuild.
  A street counts only where its district conformed (streets are looked up within the district).
-#}
{%- set checks = [
    ('hotline_12345', 'int_hotline_12345__work_orders', 'district', 'district_name', 'district_code', 'std_division_district'),
    ('hotline_12345', 'int_hotline_12345__work_orders', 'category', 'source_category', 'category_code', 'map_category__hotline_12345'),
    ('hotline_12345', 'int_hotline_12345__work_orders', 'channel', 'channel_name', 'channel_code', 'std_channel'),
    ('hotline_12345', 'int_hotline_12345__work_orders', 'request_type', 'request_type_name', 'request_type_code', 'std_request_type'),
    ('hotline_12345', 'int_hotline_12345__work_orders', 'status', 'status_name', 'status_code', 'std_request_status'),
    ('hotline_12345', 'int_hotline_12345__work_orders', 'satisfaction', 'satisfaction_name', 'satisfaction_code', 'std_satisfaction'),
    ('grid_events', 'int_grid_events__events', 'grid', 'source_grid_code', 'grid_code', 'std_grid'),
    ('grid_events', 'int_grid_events__events', 'category', 'source_category', 'category_code', 'map_category__grid_events'),
    ('grid_events', 'int_grid_events__events', 'status', 'source_status_code', 'status_code', 'std_grid_event_status'),
    ('mediation_cases', 'int_mediation_cases__cases', 'district', 'district_name', 'district_code', 'std_division_district'),
    ('mediation_cases', 'int_mediation_cases__cases', 'street', 'street_name', 'street_code', 'std_division_street', 'district_code is not null'),
    ('mediation_cases', 'int_mediation_cases__cases', 'dispute_category', 'source_category', 'dispute_category_code', 'map_dispute_category__mediation'),
    ('mediation_cases', 'int_mediation_cases__cases', 'outcome', 'outcome_name', 'outcome_code', 'std_mediation_outcome'),
] -%}

with unmapped as (
{%- for check in checks %}
    {%- set source, model, element, raw_column, code_column, code_set = check[:6] %}
    {%- set extra_condition = check[6] if check | length > 6 else none %}
    {% if not loop.first %}union all
    {% endif -%}
    select
        '{{ source }}' as source,
        '{{ element }}' as element,
        cast({{ raw_column }} as varchar) as raw_value,
        count(*) as rows,
        '{{ code_set }}' as code_set
    from {{ ref(model) }}
    where {{ raw_column }} is not null and {{ code_column }} is null
    {%- if extra_condition %} and {{ extra_condition }}{% endif %}
    group by all
{%- endfor %}
)

select
    cast(source as varchar) as source,
    cast(element as varchar) as element,
    cast(raw_value as varchar) as raw_value,
    cast(rows as bigint) as rows,
    cast(code_set as varchar) as code_set
from unmapped
