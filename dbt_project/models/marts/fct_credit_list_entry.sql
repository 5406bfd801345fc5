{#-
  Credit list entries (信用名单条目), one row per entry (latest version: a renewal or a removal replaces the earlier
  one). is_active is as of the end of the latest landed week (as_of_date): not removed by then and not expired
  before it. A table rebuilt on every run, so that is_active moves with each new week (a few thousand entries a
  week).
-#}

with entry as (

    select * from {{ ref('int_credit_lists__entries') }}

),

as_of as (

    select cast(max(partition_key) + interval 6 day as date) as as_of_date from entry

)

select
    cast(entry.entry_id as varchar) as entry_id,
    cast(entry.subject_type as varchar) as subject_type,
    cast(entry.uscc as varchar) as uscc,
    cast(entry.subject_pseudonym as varchar) as subject_pseudonym,
    cast(entry.code_is_valid as boolean) as code_is_valid,
    cast(entry.list_type_code as varchar) as list_type_code,
    cast(entry.deciding_authority as varchar) as deciding_authority,
    cast(entry.listed_date as date) as listed_date,
    cast(entry.valid_until as date) as valid_until,
    cast(entry.removed_date as date) as removed_date,
    cast(
        (entry.removed_date is null or entry.removed_date > as_of.as_of_date)
        and (entry.valid_until is null or entry.valid_until >= as_of.as_of_date)
        and entry.listed_date <= as_of.as_of_date
        as boolean) as is_active,
    cast(as_of.as_of_date as date) as as_of_date,
    cast(entry.district_code as varchar) as district_code,
    cast(entry.partition_key as date) as partition_key,
    cast(entry.source_file as varchar) as source_file
from entry
cross join as_of
