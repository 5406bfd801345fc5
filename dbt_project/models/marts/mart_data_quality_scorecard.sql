{#-
  Data-quality scorecard (数据质量考核) per source per month, with history: one row per source for every month of
  mart_data_quality_daily. Each dimension adds up its month's counts (a ratio of sums, not a mean of daily
  ratios); the composite is the weighted mean of the dimensions that have a score, weights from the seed
  cfg_data_quality_weight. A department's score is the mean composite of its sources; departments are ranked per
  month (1 = best; equal scores share a rank). Formulas: docs/data_quality.md.
-#}
{%- set dimensions = quality_dimensions() -%}

with monthly as (
    select
        source,
        department_code,
        department_name,
        month_start,
        count(*) as partitions,
        count(*) filter (where is_delivered) as partitions_delivered,
        count(*) filter (where is_on_time) as partitions_on_time,
        sum(records_read) as records_read,
        sum(records_quarantined) as records_quarantined,
        sum(duplicate_records) as duplicate_records,
        sum(important_cells) as important_cells,
        sum(filled_important_cells) as filled_important_cells,
        sum(validity_checks) as validity_checks,
        sum(validity_passed) as validity_passed,
        sum(consistency_checks) as consistency_checks,
        sum(consistency_passed) as consistency_passed
    from {{ ref('mart_data_quality_daily') }}
    group by all
),

weight as (
    select
        {%- for d in dimensions %}
        coalesce(max(weight) filter (where dimension = '{{ d }}'), 0) as {{ d }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('cfg_data_quality_weight') }}
),

scored as (
    select
        monthly.*,
        {{ quality_ratio('partitions_on_time', 'partitions') }} as timeliness_score,
        {{ quality_ratio('filled_important_cells', 'important_cells') }} as completeness_score,
        {{ quality_ratio('validity_passed', 'validity_checks') }} as validity_score,
        1 - {{ quality_ratio('duplicate_records', 'records_read') }} as uniqueness_score,
        {{ quality_ratio('consistency_passed', 'consistency_checks') }} as consistency_score,
        1 - {{ quality_ratio('records_quarantined', 'records_read') }} as quarantine_score
    from monthly
),

composite as (
    select
        scored.*,
        (
            {%- for d in dimensions %}
            coalesce(weight.{{ d }} * scored.{{ d }}_score, 0){% if not loop.last %} +{% endif %}
            {%- endfor %}
        ) / nullif(
            {%- for d in dimensions %}
            case when scored.{{ d }}_score is not null then weight.{{ d }} else 0 end{% if not loop.last %} +{% endif %}
            {%- endfor %}
        , 0) as composite_score
    from scored
    cross join weight
),

department as (
    select
        month_start,
        department_code,
        avg(composite_score) as department_score
    from composite
    group by all
),

ranked as (
    select
        *,
        case when department_score is not null then
            rank() over (partition by month_start order by department_score desc nulls last)
        end as department_rank,
        count(department_score) over (partition by month_start) as departments_ranked
    from department
)

select
    cast(composite.source as varchar) as source,
    cast(composite.department_code as varchar) as department_code,
    cast(composite.department_name as varchar) as department_name,
    cast(composite.month_start as date) as month_start,
    cast(composite.partitions as bigint) as partitions,
    cast(composite.partitions_delivered as bigint) as partitions_delivered,
    cast(composite.partitions_on_time as bigint) as partitions_on_time,
    cast(composite.records_read as bigint) as records_read,
    cast(composite.records_quarantined as bigint) as records_quarantined,
    cast(composite.timeliness_score as double) as timeliness_score,
    cast(composite.completeness_score as double) as completeness_score,
    cast(composite.validity_score as double) as validity_score,
    cast(composite.uniqueness_score as double) as uniqueness_score,
    cast(composite.consistency_score as double) as consistency_score,
    cast(composite.quarantine_score as double) as quarantine_score,
    cast(composite.composite_score as double) as composite_score,
    cast(ranked.department_score as double) as department_score,
    cast(ranked.department_rank as integer) as department_rank,
    cast(ranked.departments_ranked as integer) as departments_ranked
from composite
inner join ranked
    on ranked.month_start = composite.month_start and ranked.department_code = composite.department_code
