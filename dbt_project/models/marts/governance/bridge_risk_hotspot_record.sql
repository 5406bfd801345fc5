{#-
  The records behind each flagged risk hotspot (风险热点-来源记录), with their community for the drill-down.
  The flagged cells' cases come first, found by their first-report dates (the days of the flagged weeks) before
  they are read whole, then their records by case_hash from int_governance__case_member (the rows
  bridge_governance_case_record publishes): a run reads the few flagged cases' records, not every record joined to
  every case.
-#}
with flagged_hotspot as (
    select hotspot_id, street_code, category_group_code, week_start
    from {{ ref('mart_risk_hotspot') }}
    where is_flagged
),

-- the first-report dates of the flagged weeks: the cases are found by that one column, then read whole
flagged_date as (
    select cast({{ dbt.dateadd('day', 'day_offset.days', 'hotspot.week_start') }} as date) as first_reported_date
    from flagged_hotspot as hotspot
    cross join (values (0), (1), (2), (3), (4), (5), (6)) as day_offset (days)
),

flagged_case as (
    select hotspot.hotspot_id, governance_case.case_id, {{ key_hash(['governance_case.case_id']) }} as case_hash
    from flagged_hotspot as hotspot
    inner join {{ rows_where(ref('fct_governance_case'),
        'first_reported_date in (select first_reported_date from flagged_date)') }} as governance_case
        on governance_case.street_code = hotspot.street_code
        and governance_case.category_group_code = hotspot.category_group_code
        and governance_case.first_reported_date >= hotspot.week_start
        and governance_case.first_reported_date < cast({{ dbt.dateadd('day', 7, 'hotspot.week_start') }} as date)
)

select
    cast(flagged_case.hotspot_id as varchar) as hotspot_id,
    cast(flagged_case.case_id as varchar) as case_id,
    cast(member.source as varchar) as source,
    cast(member.record_id as varchar) as record_id,
    cast(member.community_code as varchar) as community_code
from flagged_case
-- distinct: without it DuckDB expects more flagged cases than members and hashes the 1.3 million members instead
inner join {{ rows_where(ref('int_governance__case_member'), 'case_hash in (select distinct case_hash from flagged_case)') }}
    as member on member.case_id = flagged_case.case_id
