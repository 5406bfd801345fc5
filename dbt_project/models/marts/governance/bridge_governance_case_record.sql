{#- Each governance case's records (一件事-来源记录), with the rule that matched each (docs/governance.md). -#}
select
    cast(member.case_id as varchar) as case_id,
    cast(member.source as varchar) as source,
    cast(member.record_id as varchar) as record_id,
    cast(member.match_rule as varchar) as match_rule,
    cast(record.department_code as varchar) as department_code,
    cast(record.occurred_at as timestamptz) as occurred_at,
    cast(record.community_code as varchar) as community_code,
    cast(record.category_code as varchar) as category_code,
    cast(record.is_closed as boolean) as is_closed
from {{ ref('int_governance__case_member') }} as member
inner join {{ ref('int_governance__record') }} as record
    on record.source = member.source and record.record_id = member.record_id
