{#-
  The records behind each flagged risk hotspot (风险热点-来源记录), with their community for the drill-down.
  The flagged cells' cases come first (a cell's week is a range of first-report dates, which narrows the scan of
  cases), then their records by case_hash from int_governance__case_member (the rows bridge_governance_case_record
  publishes): a run reads the few flagged cases' records, not every record joined to every case.
-#}
with flagged_case as (
    select hotspot.hotspot_id, governance_case.case_id, {{ key_hash(['governance_case.case_id']) }} as case_hash
    from {{ ref('mart_risk_hotspot') }} as hotspot
    inner join {{ ref('fct_governance_case') }} as governance_case
        on governance_case.street_code = hotspot.street_code
        and governance_case.category_group_code = hotspot.category_group_code
        and governance_case.first_reported_date >= hotspot.week_start
        and governance_case.first_reported_date < cast({{ dbt.dateadd('day', 7, 'hotspot.week_start') }} as date)
    where hotspot.is_flagged
)

select
    cast(flagged_case.hotspot_id as varchar) as hotspot_id,
    cast(flagged_case.case_id as varchar) as case_id,
    cast(member.source as varchar) as source,
    cast(member.record_id as varchar) as record_id,
    cast(member.community_code as varchar) as community_code
from flagged_case
inner join {{ rows_where(ref('int_governance__case_member'), 'case_hash in (select case_hash from flagged_case)') }}
    as member on member.case_id = flagged_case.case_id
