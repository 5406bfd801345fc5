{#-
  Every record of a reporting channel in one shape (一件事的各个来源): the input of governance cases, dispute
  journeys, risk hotspots and the community match rate (docs/governance.md). One select per channel, from the
  list in macro governance_channels(); a new channel is one more entry: its model, record key, report time, place key (a column or an
  expression, e.g. address_place_key('incident_address')), and optionally its closure (default: the column
  is_closed) and dispute (default: by category group) expressions. The model carries
  district_code, street_code, community_code, category_code and closed_at. Carries the road address key (part of
  an address): intermediate only.
  Incremental: a windowed run rebuilds the records whose version is, or was when built, in the window's landed
  partitions (macros/governance_increments.sql); a record gone from them is deleted.
-#}
{{ config(
    materialized='incremental',
    unique_key=['source', 'record_id'],
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook="{{ delete_governance_rows_gone(governance_channel_keys()) }}",
) }}
{%- set channels = governance_channels() -%}
{%- set built_in_window = governance_increment() and governance_built_in_window() -%}

with category as (
    select
        cast(category.category_code as varchar) as category_code,
        cast(category.parent_category_code as varchar) as category_group_code,
        cast(category_group.is_dispute as boolean) as group_is_dispute
    from {{ ref('std_category') }} as category
    left join {{ ref('cfg_category_group') }} as category_group
        on cast(category_group.category_group_code as varchar) = cast(category.parent_category_code as varchar)
),

record as (
{%- for channel in channels %}
    select
        '{{ channel.source }}' as source,
        cast({{ channel.record_id }} as varchar) as record_id,
        cast({{ channel.occurred_at }} as timestamptz) as occurred_at,
        cast(district_code as varchar) as district_code,
        cast(street_code as varchar) as street_code,
        cast(community_code as varchar) as community_code,
        cast(category_code as varchar) as category_code,
        cast({{ channel.place_key }} as varchar) as place_key,
        cast({{ channel.is_closed or 'is_closed' }} as boolean) as is_closed,
        cast(closed_at as timestamptz) as closed_at,
        {{ channel.is_dispute or 'cast(null as boolean)' }} as source_is_dispute,
        partition_key
    from {{ governance_channel_rows(channel, built_in_window) }} as channel_record
    {%- if not loop.last %}
    union all{% endif %}
{%- endfor %}
)

select
    record.source,
    record.record_id,
    {{ source_department_code('record.source') }} as department_code,
    record.occurred_at,
    cast(timezone({{ city_timezone() }}, record.occurred_at) as date) as occurred_date,
    record.district_code,
    record.street_code,
    record.community_code,
    record.category_code,
    category.category_group_code,
    record.place_key,
    coalesce(record.is_closed, false) as is_closed,
    record.closed_at,
    coalesce(record.source_is_dispute, category.group_is_dispute, false) as is_dispute,
    record.partition_key,
    -- short keys of the record and of its series (street, road address, category group), for the increments
    {{ key_hash(['record.source', 'record.record_id']) }} as record_hash,
    case when record.street_code is not null and record.place_key is not null
        and category.category_group_code is not null
        then {{ key_hash(['record.street_code', 'record.place_key', 'category.category_group_code']) }}
    end as series_hash
from record
left join category on category.category_code = record.category_code
where record.occurred_at is not null
