{#-
  Grassroots resolution of disputes per district and month (矛盾不上交): of the disputes that started in the month
  and have ended (resolved anywhere, or left unresolved), the share resolved at a grassroots stage
  (std_dispute_stage.is_grassroots: administrative or people's mediation). Disputes still in progress are counted
  but left out of the share. NULL share when none has ended.
-#}
select
    cast(district_code as varchar) as district_code,
    cast(started_month as date) as month,
    cast(count(*) as integer) as disputes,
    cast(count(*) filter (where journey_status = 'in_progress') as integer) as in_progress,
    cast(count(*) filter (where journey_status = 'resolved_at_grassroots') as integer) as resolved_at_grassroots,
    cast(count(*) filter (where journey_status = 'escalated') as integer) as escalated,
    cast(count(*) filter (where journey_status = 'unresolved') as integer) as unresolved,
    cast(count(*) filter (where has_people_mediation) as integer) as people_mediations,
    cast({{ quality_ratio("count(*) filter (where journey_status = 'resolved_at_grassroots')",
        "count(*) filter (where journey_status <> 'in_progress')") }} as double) as grassroots_resolution_share
from {{ ref('fct_dispute_journey') }}
where district_code is not null
group by district_code, started_month
