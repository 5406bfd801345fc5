{#-
  Enterprise history (法人库), slowly changing dimension type 2: one row per enterprise version, valid from the
  month of the snapshot that first shows it until the month of the snapshot that no longer does (valid_to is
  exclusive; NULL for the current version). Computed from every landed snapshot with window functions, so the
  history depends only on which months are landed, never on the order they were landed in: a month landed late or
  re-landed rebuilds the versions it touches. An enterprise absent from a snapshot is closed (absent_from_snapshot),
  never deleted; should it come back, a new version starts.
  Incremental on uscc: a run recomputes, from all snapshots, the whole history of every enterprise its window's
  snapshots hold or whose built versions begin, end or run through them; a run whose window holds no snapshot
  recomputes nothing. When the window's one month is landed for the first time, an enterprise it holds unchanged
  from the landed month before is left as built (its history cannot change: see the CTE continued).
-#}
{{ config(
    materialized='incremental',
    unique_key='uscc',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_history_keys_gone_from('int_enterprise_register__snapshots', 'uscc') }}",
) }}

with snapshot as (

    -- the columns the history is computed from; the attributes of a version are read once it is known
    select uscc, partition_key, version_hash from {{ ref('int_enterprise_register__snapshots') }}

),

snapshot_month as (

    -- every landed month with the landed months just before and after it
    select month, lag(month) over (order by month) as previous_month, lead(month) over (order by month) as next_month
    from (select distinct partition_key as month from snapshot) as landed

),

{%- if is_incremental() and window_is_set() %}

window_month as (

    select month from snapshot_month where {{ partition_window_filter('month', grain='month') }}

),

continued as (

    -- the first landing of one month (no built version begins or ends in it): an enterprise it holds in the state
    -- of the landed month before keeps its history as built, its version simply runs on through the month (most
    -- enterprises, most months)
    select in_window.uscc
    from snapshot as in_window
    inner join snapshot_month on snapshot_month.month = in_window.partition_key
    inner join snapshot as before_window
        on before_window.uscc = in_window.uscc
        and before_window.partition_key = snapshot_month.previous_month
        and before_window.version_hash = in_window.version_hash
    where {{ partition_window_filter('in_window.partition_key', grain='month') }}
      and (select count(*) from window_month) = 1
      and not exists (
          select 1 from {{ this }}
          where {{ partition_window_filter('valid_from', grain='month') }}
             or {{ partition_window_filter('valid_to', grain='month') }}
      )

),

recomputed as (

    select touched.uscc
    from (
        select uscc from snapshot where {{ partition_window_filter('partition_key', grain='month') }}
        union
        select uscc from {{ this }}
        where {{ partition_window_filter('valid_from', grain='month') }}
           or {{ partition_window_filter('valid_to', grain='month') }}
           or (valid_from <= (select max(month) from window_month)
               and coalesce(valid_to, date '9999-12-31') > (select min(month) from window_month))
    ) as touched
    where not exists (select 1 from continued where continued.uscc = touched.uscc)

),
{%- endif %}

neighbour as (

    -- each snapshot row beside the enterprise's rows before and after it: it starts a version when the enterprise
    -- was absent from the landed month before (or it is the first) or its state changed; it ends one when the
    -- enterprise is absent from the next landed month or its state changes there
    select
        snapshot.uscc,
        snapshot.partition_key as month,
        snapshot.version_hash,
        snapshot_month.next_month,
        coalesce(lag(snapshot.partition_key) over by_month <> snapshot_month.previous_month
            or lag(snapshot.version_hash) over by_month <> snapshot.version_hash, true) as starts_version,
        coalesce(lead(snapshot.partition_key) over by_month <> snapshot_month.next_month
            or lead(snapshot.version_hash) over by_month <> snapshot.version_hash, true) as ends_version
    from snapshot
    inner join snapshot_month on snapshot_month.month = snapshot.partition_key
    {%- if is_incremental() and window_is_set() %}
    where snapshot.uscc in (select uscc from recomputed)
    {%- endif %}
    window by_month as (partition by snapshot.uscc order by snapshot.partition_key)

),

version as (

    -- a version runs from its first row to the landed month after its last row (NULL: it is current)
    select uscc, valid_from, version_hash, valid_to
    from (
        select
            uscc,
            month as valid_from,
            version_hash,
            starts_version,
            case when ends_version then next_month
                else lead(next_month) over (partition by uscc order by month) end as valid_to
        from neighbour
        where starts_version or ends_version
    ) as boundary
    where starts_version

)

select
    cast(v.uscc as varchar) as uscc,
    cast(s.enterprise_name as varchar) as enterprise_name,
    cast(s.registration_status_code as varchar) as registration_status_code,
    cast(s.industry_code as varchar) as industry_code,
    cast(s.district_code as varchar) as district_code,
    cast(s.street_code as varchar) as street_code,
    cast(v.valid_from as date) as valid_from,
    cast(v.valid_to as date) as valid_to,
    cast(v.valid_to is null as boolean) as is_current,
    cast(case
        when v.valid_to is null then null
        when next_snapshot.uscc is null then 'absent_from_snapshot'
        when next_snapshot.registration_status_code is distinct from s.registration_status_code
            then coalesce(next_snapshot.closing_reason, 'status_change')
        else 'attribute_change'
    end as varchar) as closed_reason,
    cast(s.code_is_valid as boolean) as code_is_valid,
    cast(s.is_operating as boolean) as is_operating,
    cast(s.industry_section_code as varchar) as industry_section_code,
    cast(s.industry_class_code as varchar) as industry_class_code,
    cast(s.established_date as date) as established_date,
    cast(s.approved_date as date) as approved_date,
    cast(s.registered_capital as decimal(18, 4)) as registered_capital,
    cast(s.enterprise_address as varchar) as enterprise_address,
    cast(s.legal_representative_pseudonym as varchar) as legal_representative_pseudonym,
    cast(s.registration_authority as varchar) as registration_authority,
    cast(s.partition_key as date) as partition_key,
    cast(s.source_file as varchar) as source_file
from version as v
inner join {{ ref('int_enterprise_register__snapshots') }} as s on s.uscc = v.uscc and s.partition_key = v.valid_from
left join {{ ref('int_enterprise_register__snapshots') }} as next_snapshot
    on next_snapshot.uscc = v.uscc and next_snapshot.partition_key = v.valid_to
