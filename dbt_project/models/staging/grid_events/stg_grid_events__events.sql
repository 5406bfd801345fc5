{#- Grid events as landed, cleaned and typed: every landed version (deduplication is in intermediate).
    reported_at_ms (epoch milliseconds) becomes reported_at; status_history stays JSON text here and is unnested
    in intermediate. -#}
with source as (

    select * from {{ source('grid_events', 'events') }}

)

select
    {{ clean_code('event_id') }} as event_id,
    {{ clean_code('grid_code') }} as grid_code,
    upper({{ clean_code('source_category') }}) as source_category,
    {{ clean_text('event_title') }} as event_title,
    {{ parse_epoch_ms('reported_at_ms') }} as reported_at,
    {{ clean_code('status_code') }} as status_code,
    {{ clean_text('status_history') }} as status_history,
    {{ clean_code('reporter_id') }} as reporter_id,
    {{ parse_decimal('longitude', 'decimal(9, 6)') }} as longitude,
    {{ parse_decimal('latitude', 'decimal(9, 6)') }} as latitude,
    {{ landing_lineage_columns() }}
from source
