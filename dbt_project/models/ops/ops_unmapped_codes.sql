{#-
  Every source value that did not conform to the city standard (the conformed code is NULL although a value was
  delivered), counted over the latest version of every record. Extend the seed named in code_set, then rebuild.
  A street counts only where its district conformed (streets are looked up within the district).
-#}
{#- The coded elements of every model (macro data_quality_rules), with the source each model's records come from. -#}
{%- set checks = [] -%}
{%- for model, rules in data_quality_rules().items() -%}
    {%- for element in rules.get('conformed', []) -%}
        {%- do checks.append((source_of_model(model), model) + element) -%}
    {%- endfor -%}
{%- endfor -%}

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
