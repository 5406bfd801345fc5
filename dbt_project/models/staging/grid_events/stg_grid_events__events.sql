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
    cast(partition_key as date) as partition_key,
    _source_file,
    cast(_source_row as bigint) as _source_row,
    _load_id,
    cast(_ingested_at as timestamptz) as _ingested_at,
    _record_hash
from source
