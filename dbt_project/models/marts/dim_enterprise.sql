{#-
  Enterprise history (法人库), slowly changing dimension type 2: one row per enterprise version, valid from the
  month of the snapshot that first shows it until the month of the snapshot that no longer does (valid_to is
  exclusive; NULL for the current version). Computed from every landed snapshot with window functions, so the
  history depends only on which months are landed, never on the order they were landed in: a month landed late or
  re-landed rebuilds the versions it touches. An enterprise absent from a snapshot is closed (absent_from_snapshot),
  never deleted; should it come back, a new version starts.
  Incremental on uscc: a run recomputes, from all snapshots, the whole history of every enterprise its window's
  snapshots hold or whose built versions begin, end or run through them; a run whose window holds no snapshot
  recomputes nothing.
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

    select distinct partition_key as month from snapshot

),

{%- if is_incremental() and window_is_set() %}

window_month as (

    select month from snapshot_month where {{ partition_window_filter('month', grain='month') }}

),

recomputed as (

    select uscc from snapshot where {{ partition_window_filter('partition_key', grain='month') }}
    union
    select uscc from {{ this }}
    where {{ partition_window_filter('valid_from', grain='month') }}
       or {{ partition_window_filter('valid_to', grain='month') }}
       or (valid_from <= (select max(month) from window_month)
           and coalesce(valid_to, date '9999-12-31') > (select min(month) from window_month))

),
{%- endif %}

enterprise as (

    select uscc, min(partition_key) as first_month
    from snapshot
    {%- if is_incremental() and window_is_set() %}
    where uscc in (select uscc from recomputed)
    {%- endif %}
    group by uscc

),

presence as (

    -- every landed month from the enterprise's first on: its version_hash, NULL where the snapshot lacks it
    select enterprise.uscc, snapshot_month.month, snapshot.version_hash
    from enterprise
    inner join snapshot_month on snapshot_month.month >= enterprise.first_month
    left join snapshot on snapshot.uscc = enterprise.uscc and snapshot.partition_key = snapshot_month.month

),

numbered as (

    -- islands of equal state (a version, or an absence): a new island wherever the state changes
    select
        uscc,
        month,
        version_hash,
        sum(case when version_hash is distinct from previous_hash then 1 else 0 end)
            over (partition by uscc order by month rows between unbounded preceding and current row) as island
    from (
        select *, lag(version_hash) over (partition by uscc order by month) as previous_hash
        from presence
    ) as with_previous

),

island as (

    select uscc, island, min(month) as valid_from, any_value(version_hash) as version_hash
    from numbered
    group by uscc, island

),

version as (

    select
        uscc,
        valid_from,
        version_hash,
        lead(valid_from) over (partition by uscc order by valid_from) as valid_to
    from island

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
where v.version_hash is not null
