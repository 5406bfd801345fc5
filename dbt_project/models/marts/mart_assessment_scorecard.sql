{#-
  Assessment and ranking of districts, streets and communities (考核评价), one row per level × area × month × indicator of
  cfg_assessment_indicator. Months: every month in which any indicator has a value. Formula (docs/assessment.md):
  an indicator is normalised min–max within its level and month against its direction (0 = worst area, 100 = best;
  100 for all when every area has the same value); the composite is the weighted mean of the indicators that have a
  value, so a NULL indicator is left out and its weight is shared out, never counted as 0. Areas are ranked within
  level and month (1 = best, ties share a rank); rank_change = previous month's rank - this month's (> 0 = up).

  Incremental by month: a month's rows depend only on its indicator values and the previous month's ranks, so a run
  rebuilds only the months the pre-hook deleted (macro delete_assessment_months_changed: a value changed, or the
  month before changed, or the month is no longer assessed) and the assessed months not yet built.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_assessment_months_changed() }}",
) }}

with {{ assessment_inputs() }}

{%- if is_incremental() %}

-- the assessed months the table does not hold (after the pre-hook deleted the changed ones)
rebuilt_month as (
    select month_start from assessed_month
    except
    select distinct month_start from {{ this }}
),
{%- endif %}

spine as (
    select
        area.level, area.area_code, area.area_name, area.district_code, assessed_month.month_start,
        indicator.indicator_code, indicator.indicator_name, indicator.direction, indicator.weight, indicator.target,
        indicator_value.indicator_value
    from area
    cross join {{ 'rebuilt_month' if is_incremental() else 'assessed_month' }} as assessed_month
    cross join indicator
    left join indicator_value
        on indicator_value.level = area.level
        and indicator_value.area_code = area.area_code
        and indicator_value.month_start = assessed_month.month_start
        and indicator_value.indicator_code = indicator.indicator_code
),

value_range as (
    select
        spine.*,
        min(indicator_value) over (partition by level, month_start, indicator_code) as level_min,
        max(indicator_value) over (partition by level, month_start, indicator_code) as level_max
    from spine
),

scored as (
    select
        value_range.*,
        case
            when indicator_value is null then null
            when level_max = level_min then 100.0
            when direction = 'higher' then 100.0 * ((indicator_value - level_min) / (level_max - level_min))
            else 100.0 * ((level_max - indicator_value) / (level_max - level_min))
        end as indicator_score
    from value_range
),

weighted as (
    select
        scored.*,
        sum(case when indicator_score is not null then weight end)
            over (partition by level, area_code, month_start) as scored_weight,
        sum(case when indicator_score is not null then weight * indicator_score end)
            over (partition by level, area_code, month_start) as weighted_score_sum,
        count(indicator_score) over (partition by level, area_code, month_start) as indicators_scored
    from scored
),

area_month as (
    select distinct
        level, area_code, month_start,
        -- rounded so that equal scores are equal, not apart by a floating-point ulp
        round(weighted_score_sum / nullif(scored_weight, 0), 6) as composite_score
    from weighted
),

ranked as (
    select
        area_month.*,
        case when composite_score is not null then
            rank() over (partition by level, month_start order by composite_score desc nulls last)
        end as area_rank,
        count(composite_score) over (partition by level, month_start) as areas_ranked
    from area_month
),

previous_month_rank as (
    select level, area_code, month_start, area_rank from ranked
    {%- if is_incremental() %}
    union all
    -- the month before a rebuilt one, when it is kept as built
    select distinct level, area_code, month_start, area_rank
    from {{ this }}
    where month_start in (select cast({{ dbt.dateadd('month', -1, 'month_start') }} as date) from rebuilt_month)
    {%- endif %}
),

rank_change as (
    select
        ranked.*,
        previous.area_rank as previous_rank
    from ranked
    left join previous_month_rank as previous
        on previous.level = ranked.level
        and previous.area_code = ranked.area_code
        and previous.month_start = cast({{ dbt.dateadd('month', -1, 'ranked.month_start') }} as date)
)

select
    cast(weighted.level as varchar) as level,
    cast(weighted.area_code as varchar) as area_code,
    cast(weighted.area_name as varchar) as area_name,
    cast(weighted.district_code as varchar) as district_code,
    cast(weighted.month_start as date) as month_start,
    cast(weighted.indicator_code as varchar) as indicator_code,
    cast(weighted.indicator_name as varchar) as indicator_name,
    cast(weighted.direction as varchar) as direction,
    cast(weighted.target as double) as target,
    cast(weighted.indicator_value as double) as indicator_value,
    cast(case when weighted.indicator_value is not null and weighted.target is not null then
        case when weighted.direction = 'higher' then weighted.indicator_value >= weighted.target
            else weighted.indicator_value <= weighted.target end
    end as boolean) as meets_target,
    cast(weighted.indicator_score as double) as indicator_score,
    cast(weighted.weight as double) as weight,
    cast(round(case when weighted.indicator_score is not null then weighted.weight / nullif(weighted.scored_weight, 0)
        end, 9) as double) as effective_weight,
    cast(weighted.indicators_scored as integer) as indicators_scored,
    cast(rank_change.composite_score as double) as composite_score,
    cast(rank_change.area_rank as integer) as area_rank,
    cast(rank_change.areas_ranked as integer) as areas_ranked,
    cast(rank_change.previous_rank as integer) as previous_rank,
    cast(rank_change.previous_rank - rank_change.area_rank as integer) as rank_change
from weighted
inner join rank_change
    on rank_change.level = weighted.level
    and rank_change.area_code = weighted.area_code
    and rank_change.month_start = weighted.month_start
