{#-
  Value query of the data-quality indicator: the data-quality composite (mart_data_quality_scorecard, 0–1) of the
  sources an area's records come from, weighted by the area's records of each source in the month. The facts and
  the month their records count in are the `area_month` rules of macro data_quality_rules; each fact's source is
  found upstream in the dbt graph (macro source_of_model), so a new fact joins by its rule alone.
-#}
{%- set rebuilt_months = assessment_rebuilt_months([model.name])[model.name] %}
with area_record as (
{%- for model, rule in data_quality_rules().items() if rule.area_month is defined %}
    {%- set date_column, condition = rule.area_month %}
    {% if not loop.first %}union all
    {% endif -%}
    select '{{ source_of_model(model) }}' as source, district_code, street_code,
        cast({{ dbt.date_trunc('month', date_column) }} as date) as month_start
    from {{ ref(model) }}
    where district_code is not null and {{ date_column }} is not null{% if condition %} and {{ condition }}{% endif %}
        and {{ assessment_month_filter(column=date_column, months=rebuilt_months) }}
{%- endfor %}
),

area_source as (
    select source, district_code, street_code, month_start, count(*) as records
    from area_record
    group by source, district_code, street_code, month_start
)

select
    area_source.district_code,
    area_source.street_code,
    area_source.month_start,
    'data_quality_score' as indicator_code,
    sum(area_source.records * quality.composite_score) as numerator,
    sum(area_source.records) as denominator
from area_source
inner join {{ ref('mart_data_quality_scorecard') }} as quality
    on quality.source = area_source.source and quality.month_start = area_source.month_start
where quality.composite_score is not null
group by area_source.district_code, area_source.street_code, area_source.month_start
