{#- The records behind each flagged risk hotspot (风险热点-来源记录), with their community for the drill-down. -#}
select
    cast(hotspot.hotspot_id as varchar) as hotspot_id,
    cast(governance_case.case_id as varchar) as case_id,
    cast(bridge.source as varchar) as source,
    cast(bridge.record_id as varchar) as record_id,
    cast(bridge.community_code as varchar) as community_code
from {{ ref('mart_risk_hotspot') }} as hotspot
inner join {{ ref('fct_governance_case') }} as governance_case
    on governance_case.street_code = hotspot.street_code
    and governance_case.category_group_code = hotspot.category_group_code
    and cast(date_trunc('week', governance_case.first_reported_date) as date) = hotspot.week_start
inner join {{ ref('bridge_governance_case_record') }} as bridge on bridge.case_id = governance_case.case_id
where hotspot.is_flagged
