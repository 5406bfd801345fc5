{#- 12345 hotline work orders as landed, cleaned and typed: every landed version (deduplication is in
    intermediate). Raw personal fields are still here; they never leave intermediate. -#}
with source as (

    select * from {{ source('hotline_12345', 'work_orders') }}

)

select
    {{ clean_code('work_order_id') }} as work_order_id,
    {{ parse_local_timestamp('accepted_at', '%Y/%m/%d %H:%M:%S') }} as accepted_at,
    {{ clean_code('channel_name') }} as channel_name,
    {{ clean_code('request_type_name') }} as request_type_name,
    {{ clean_code('source_category') }} as source_category,
    {{ clean_text('request_title') }} as request_title,
    {{ clean_code('district_name') }} as district_name,
    {{ clean_text('incident_address') }} as incident_address,
    {{ clean_text('caller_name') }} as caller_name,
    {{ clean_text('caller_phone') }} as caller_phone,
    {{ normalize_citizen_id('caller_id_number') }} as caller_id_number,
    {{ parse_local_timestamp('dispatched_at', '%Y/%m/%d %H:%M:%S') }} as dispatched_at,
    {{ parse_local_timestamp('responded_at', '%Y/%m/%d %H:%M:%S') }} as responded_at,
    {{ parse_local_timestamp('closed_at', '%Y/%m/%d %H:%M:%S') }} as closed_at,
    {{ clean_code('status_name') }} as status_name,
    {{ clean_code('satisfaction_name') }} as satisfaction_name,
    {{ landing_lineage_columns() }}
from source
