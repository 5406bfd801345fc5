{#-
  Which governance case each record belongs to (一件事归并), and by which rule (docs/governance.md).
  Records with a street, a road address key and a category group are ordered by report time within their
  (street, road address, category group); a record reported within its group's case_window_hours
  (cfg_category_group) of the previous one joins that one's case, a later one opens a new case. The street and the
  road address key together are the place: the community follows from them. A record without a place or a group
  is a case of its own. A case's id is its first report's source:record_id.
-#}

with record as (
    select
        record.*,
        cast(category_group.case_window_hours as integer) as case_window_hours,
        record.street_code is not null and record.place_key is not null
            and record.category_group_code is not null as is_matchable
    from {{ ref('int_governance__record') }} as record
    left join {{ ref('cfg_category_group') }} as category_group
        on cast(category_group.category_group_code as varchar) = record.category_group_code
),

ordered as (
    select
        *,
        lag(occurred_at) over (
            partition by street_code, place_key, category_group_code order by occurred_at, source, record_id
        ) as previous_at
    from record
    where is_matchable
),

opened as (
    select
        *,
        previous_at is null or case_window_hours is null
            or occurred_at > previous_at + to_hours(case_window_hours) as opens_case
    from ordered
),

numbered as (
    select
        *,
        sum(case when opens_case then 1 else 0 end) over (
            partition by street_code, place_key, category_group_code order by occurred_at, source, record_id
            rows between unbounded preceding and current row
        ) as case_seq
    from opened
),

matched as (
    select
        first_value(source || ':' || record_id) over (
            partition by street_code, place_key, category_group_code, case_seq order by occurred_at, source, record_id
        ) as case_id,
        source,
        record_id,
        case when opens_case then 'first_report' else 'same_place_group_within_window' end as match_rule
    from numbered
)

select case_id, source, record_id, match_rule from matched
union all
select source || ':' || record_id as case_id, source, record_id, 'no_place_or_group' as match_rule
from record
where not is_matchable
