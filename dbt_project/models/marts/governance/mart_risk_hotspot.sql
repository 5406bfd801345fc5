{#-
  Risk hotspots (风险隐患热点): governance cases per street, ISO week (of the first report) and category group,
  each week judged against the same street's and group's own earlier weeks (docs/governance.md). Weeks without a
  case count as 0 from the first week of data on. Rule (cfg_risk_hotspot_rule): with at least min_baseline_weeks
  earlier weeks (the last max_baseline_weeks of them), the expected count is their mean (at least
  min_baseline_mean); the week is flagged when count >= min_count and the Poisson tail probability
  P(X >= count) <= max_tail_probability. Severity: the highest cfg_risk_severity level whose min_surprise the
  surprise -log10 P reaches. Rows: every street × week × group with a case.
  Incremental: a run judges again only the cells whose counts differ from those built and the
  max_baseline_weeks weeks after them (whose baseline they are in); every cell when the first week of data moved. A
  cell left without cases is written with case_count 0 and deleted by the post-hook.
-#}
{{ config(
    materialized='incremental',
    unique_key='hotspot_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ 'delete from ' ~ this ~ ' where case_count = 0' if is_incremental() else '' }}",
) }}
{%- set increment = is_incremental() %}

with rule as (
    select
        cast(min_baseline_weeks as integer) as min_baseline_weeks,
        cast(max_baseline_weeks as integer) as max_baseline_weeks,
        cast(min_baseline_mean as double) as min_baseline_mean,
        cast(min_count as integer) as min_count,
        cast(max_tail_probability as double) as max_tail_probability
    from {{ ref('cfg_risk_hotspot_rule') }}
),

case_week as (
    select
        district_code,
        street_code,
        category_group_code,
        cast(date_trunc('week', first_reported_date) as date) as week_start,
        record_count
    from {{ ref('fct_governance_case') }}
    where street_code is not null and category_group_code is not null and first_reported_date is not null
),

observed as (
    select district_code, street_code, category_group_code, week_start,
        count(*) as case_count, sum(record_count) as record_count
    from case_week
    group by district_code, street_code, category_group_code, week_start
),

week as (
    select cast(week_start as date) as week_start
    from range(
        (select cast(min(week_start) as timestamp) from case_week),
        (select cast(max(week_start) as timestamp) from case_week) + interval 7 day,
        interval 7 day
    ) as weeks(week_start)
),

cell as (
    select series.district_code, series.street_code, series.category_group_code, week.week_start,
        coalesce(observed.case_count, 0) as case_count,
        coalesce(observed.record_count, 0) as record_count
    from (select distinct district_code, street_code, category_group_code from observed) as series
    cross join week
    left join observed
        on observed.street_code = series.street_code
        and observed.category_group_code = series.category_group_code
        and observed.week_start = week.week_start
),

{%- if increment %}

built as (
    select hotspot_id, district_code, street_code, category_group_code, week_start, case_count, record_count
    from {{ this }}
),

-- cells whose counts (or district) differ from those built
changed_cell as (
    select
        coalesce(observed.street_code, built.street_code) as street_code,
        coalesce(observed.category_group_code, built.category_group_code) as category_group_code,
        coalesce(observed.week_start, built.week_start) as week_start,
        observed.street_code is null as is_gone
    from observed
    full outer join built
        on built.district_code = observed.district_code
        and built.street_code = observed.street_code
        and built.category_group_code = observed.category_group_code
        and built.week_start = observed.week_start
    where observed.case_count is distinct from built.case_count
       or observed.record_count is distinct from built.record_count
),

-- the cells judged again: the changed ones and the weeks whose baseline holds them; all when the first week moved
judged_cell as (
    select distinct changed.street_code, changed.category_group_code, cell.week_start
    from changed_cell as changed
    cross join rule
    inner join cell
        on cell.street_code = changed.street_code
        and cell.category_group_code = changed.category_group_code
        and cell.week_start >= changed.week_start
        and cell.week_start <= changed.week_start + to_days(7 * rule.max_baseline_weeks)
    union
    select street_code, category_group_code, week_start
    from cell
    where (select min(week_start) from observed) is distinct from (select min(week_start) from built)
),
{%- endif %}

-- the cells this run judges: every cell, or on an increment those of judged_cell
cell_to_judge as (
    select * from cell
    {%- if increment %}
    where exists (select 1 from judged_cell
        where judged_cell.street_code = cell.street_code
          and judged_cell.category_group_code = cell.category_group_code
          and judged_cell.week_start = cell.week_start)
    {%- endif %}
),

baseline as (
    select current_week.street_code, current_week.category_group_code, current_week.week_start,
        count(*) as baseline_weeks, avg(earlier.case_count) as baseline_mean
    from cell_to_judge as current_week
    cross join rule
    inner join cell as earlier
        on earlier.street_code = current_week.street_code
        and earlier.category_group_code = current_week.category_group_code
        and earlier.week_start < current_week.week_start
        and earlier.week_start >= current_week.week_start - to_days(7 * rule.max_baseline_weeks)
    group by current_week.street_code, current_week.category_group_code, current_week.week_start
),

judged as (
    select
        cell.*,
        coalesce(baseline.baseline_weeks, 0) as baseline_weeks,
        baseline.baseline_mean,
        case when coalesce(baseline.baseline_weeks, 0) >= rule.min_baseline_weeks
            then greatest(baseline.baseline_mean, rule.min_baseline_mean) end as expected_count,
        rule.min_count,
        rule.max_tail_probability
    from cell_to_judge as cell
    cross join rule
    left join baseline using (street_code, category_group_code, week_start)
    where cell.case_count > 0
),

-- P(X >= count) for X ~ Poisson(expected): the upper tail summed term by term (exact where it matters: small p)
tail_term as (
    select
        street_code, category_group_code, week_start, expected_count,
        unnest(range(case_count, case_count + 50 + 10 * cast(ceil(sqrt(expected_count)) as integer))) as k
    from judged
    where expected_count is not null and case_count > expected_count
),

tail as (
    select street_code, category_group_code, week_start,
        least(1.0, sum(exp(-expected_count + k * ln(expected_count) - lgamma(k + 1)))) as tail_probability
    from tail_term
    group by street_code, category_group_code, week_start
),

scored as (
    select
        judged.*,
        case when judged.expected_count is not null then coalesce(tail.tail_probability, 1.0) end
            as tail_probability
    from judged
    left join tail using (street_code, category_group_code, week_start)
),

flagged as (
    select
        *,
        coalesce(case_count >= min_count and tail_probability <= max_tail_probability, false) as is_flagged,
        -log10(greatest(tail_probability, 1e-300)) as surprise
    from scored
),

severity as (
    select cast(severity_code as varchar) as severity_code, cast(min_surprise as double) as min_surprise
    from {{ ref('cfg_risk_severity') }}
)

select
    cast(flagged.street_code || '|' || cast(flagged.week_start as varchar) || '|' || flagged.category_group_code
        as varchar) as hotspot_id,
    cast(flagged.district_code as varchar) as district_code,
    cast(flagged.street_code as varchar) as street_code,
    cast(flagged.week_start as date) as week_start,
    cast(flagged.category_group_code as varchar) as category_group_code,
    cast(flagged.case_count as integer) as case_count,
    cast(flagged.record_count as integer) as record_count,
    cast(flagged.baseline_weeks as integer) as baseline_weeks,
    cast(flagged.baseline_mean as double) as baseline_mean,
    cast(flagged.expected_count as double) as expected_count,
    cast(flagged.tail_probability as double) as tail_probability,
    cast(flagged.surprise as double) as surprise,
    cast(flagged.is_flagged as boolean) as is_flagged,
    cast(case when flagged.is_flagged then
        (select max_by(severity.severity_code, severity.min_surprise) from severity
         where severity.min_surprise <= flagged.surprise)
    end as varchar) as severity_code
from flagged
{%- if increment %}
union all
-- a cell built with cases that has none now: deleted by the post-hook
select
    built.hotspot_id, built.district_code, built.street_code, built.week_start, built.category_group_code,
    0, 0, 0, cast(null as double), cast(null as double), cast(null as double), cast(null as double), false,
    cast(null as varchar)
from built
where not exists (select 1 from observed
    where observed.district_code = built.district_code
      and observed.street_code = built.street_code
      and observed.category_group_code = built.category_group_code
      and observed.week_start = built.week_start)
  and exists (select 1 from changed_cell
    where changed_cell.is_gone
      and changed_cell.street_code = built.street_code
      and changed_cell.category_group_code = built.category_group_code
      and changed_cell.week_start = built.week_start)
{%- endif %}
