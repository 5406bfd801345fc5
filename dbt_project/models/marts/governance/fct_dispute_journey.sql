{#-
  Dispute journeys (三调联动), one row per dispute (docs/governance.md): a dispute record of a reporting channel
  (administrative mediation, 行政调解: 12345 / 110 dispute records handled or referred by the government side), the
  people's mediation case (人民调解) it was referred to (the case's referral_record_id names the record), and the
  litigation referral (诉调对接) of a failed mediation. A mediation case nobody referred starts its own journey.
  Resolving stage: people's mediation when it succeeded; litigation when a failed mediation went to court;
  administrative mediation when the record was closed without a referral. Unresolved: a failed mediation not taken
  further. In progress: the record is open, or the mediation has no outcome yet.
  Incremental: a run rebuilds the journeys of the records and cases its window can change (all without a window),
  and of every record and case linked to them (macro dispute_journey_rebuild_ctes); a journey gone is deleted
  (post-hook).
  partition_key: the landed partition of the dispute record's version (of the case's, for a journey without one).
-#}
{{ config(
    materialized='incremental',
    unique_key='journey_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_dispute_journeys_gone() }}",
) }}
{%- set increment = is_incremental() %}

with
{%- if increment %}
{{ dispute_journey_rebuild_ctes() }}
{%- endif %}

report as (
    select source, record_id, occurred_at, district_code, street_code, is_closed, partition_key
    {%- if increment %}
    from {{ rows_where(ref('int_governance__record'),
        'is_dispute and record_id in (select record_id from journey_record)') }} as record
    {%- else %}
    from {{ ref('int_governance__record') }}
    where is_dispute
    {%- endif %}
),

mediation as (
    select
        dispute.case_id,
        dispute.accepted_date,
        dispute.district_code,
        dispute.street_code,
        dispute.outcome_code,
        dispute.is_mediation_success,
        coalesce(dispute.is_referred_to_litigation, false) as is_referred_to_litigation,
        referral.referral_record_id,
        dispute.partition_key
    from {{ ref('fct_dispute_case') }} as dispute
    left join {{ ref('int_mediation_cases__cases') }} as referral on referral.case_id = dispute.case_id
    {%- if increment %}
    where dispute.case_id in (select case_id from journey_case)
    {%- endif %}
),

-- the referring record of each mediation case; a record referred twice keeps its first case, accepted first
mediation_link as (
    select
        mediation.*,
        report.source as report_source,
        report.record_id as report_record_id,
        report.record_id is not null and row_number() over (
            partition by report.source, report.record_id order by mediation.accepted_date, mediation.case_id
        ) = 1 as is_linked
    from mediation
    left join report on report.record_id = mediation.referral_record_id
),

step as (
    select
        report.source || ':' || report.record_id as journey_id,
        report.source as origin_source,
        report.record_id as origin_record_id,
        report.occurred_at as started_at,
        report.district_code,
        report.street_code,
        report.is_closed as report_is_closed,
        linked.case_id,
        linked.is_mediation_success,
        linked.is_referred_to_litigation,
        report.partition_key
    from report
    left join (select * from mediation_link where is_linked) as linked
        on linked.report_source = report.source and linked.report_record_id = report.record_id
    union all
    select
        'mediation_cases:' || case_id, null, null, cast(accepted_date as timestamptz), district_code, street_code,
        null, case_id, is_mediation_success, is_referred_to_litigation, partition_key
    from mediation_link
    where not is_linked
),

journey as (
    select
        journey_id,
        origin_source,
        origin_record_id,
        case_id as mediation_case_id,
        started_at,
        district_code,
        street_code,
        origin_record_id is not null as has_administrative_mediation,
        case_id is not null as has_people_mediation,
        coalesce(not is_mediation_success and is_referred_to_litigation, false) as has_litigation,
        case
            when case_id is null then case when report_is_closed then 'administrative_mediation' end
            when is_mediation_success then 'people_mediation'
            when not is_mediation_success and is_referred_to_litigation then 'litigation'
        end as resolved_stage,
        case when case_id is null then not report_is_closed else is_mediation_success is null end as is_in_progress,
        partition_key
    from step
),

stage as (
    select cast(stage_code as varchar) as stage_code, cast(is_grassroots as boolean) as is_grassroots
    from {{ ref('std_dispute_stage') }}
)

select
    cast(journey.journey_id as varchar) as journey_id,
    cast(journey.origin_source as varchar) as origin_source,
    cast(journey.origin_record_id as varchar) as origin_record_id,
    cast(journey.mediation_case_id as varchar) as mediation_case_id,
    cast(journey.started_at as timestamptz) as started_at,
    cast(date_trunc('month', timezone({{ city_timezone() }}, journey.started_at)) as date) as started_month,
    cast(journey.district_code as varchar) as district_code,
    cast(journey.street_code as varchar) as street_code,
    cast(journey.has_administrative_mediation as boolean) as has_administrative_mediation,
    cast(journey.has_people_mediation as boolean) as has_people_mediation,
    cast(journey.has_litigation as boolean) as has_litigation,
    cast(concat_ws('>',
        case when journey.has_administrative_mediation then 'administrative_mediation' end,
        case when journey.has_people_mediation then 'people_mediation' end,
        case when journey.has_litigation then 'litigation' end) as varchar) as stage_path,
    cast(journey.resolved_stage as varchar) as resolved_stage,
    cast(case
        when journey.is_in_progress then 'in_progress'
        when journey.resolved_stage is null then 'unresolved'
        when stage.is_grassroots then 'resolved_at_grassroots'
        else 'escalated'
    end as varchar) as journey_status,
    cast(coalesce(stage.is_grassroots, false) and not journey.is_in_progress as boolean) as is_resolved_at_grassroots,
    cast(journey.partition_key as date) as partition_key
from journey
left join stage on stage.stage_code = journey.resolved_stage
