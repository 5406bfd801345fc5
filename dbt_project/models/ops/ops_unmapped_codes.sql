{#-
  Every delivered value of a coded contract column (a column with a code_set) that does not conform to the city
  standard, counted over the latest version of every record, with the seed to create or extend: the source's
  mapping seed map_<element>__<source> (source_value, standard_code). Counted from ops_unmapped_code_records, which
  keeps each record's unmapped values incrementally (derived from the contracts, macro coded_contracts()).
-#}

select
    source,
    element,
    raw_value,
    cast(count(*) as bigint) as rows,
    code_set
from {{ ref('ops_unmapped_code_records') }}
where element is not null
group by source, element, raw_value, code_set
