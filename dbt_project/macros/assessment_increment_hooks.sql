{#-
  The hooks of int_assessment__indicator_value's increments (macros/assessment_increments.sql): the pre-hook deletes
  the months a run recomputes, the post-hook keeps what the next run compares with. Both read what the run recomputes
  from the model's compiled SQL, so they do what the model did.
-#}

{#- The comment int_assessment__indicator_value puts in its SQL when it recomputes a part of itself, with what it
    recomputes (assessment_rebuilt_months); its hooks read it back (the post-hook runs when the model is there, whatever
    this run was). -#}
{% macro assessment_increment_marker(rebuilt) -%}
/* an increment of the assessment's values: {{ tojson(rebuilt) }} */
{%- endmacro %}

{#- The months int_assessment__indicator_value recomputes, read from its compiled SQL; none when it rebuilds all. -#}
{% macro assessment_rebuilt_in_sql() -%}
{%- set found = modules.re.search('/\\* an increment of the assessment\'s values: (.*?) \\*/', sql) -%}
{{ return(fromjson(found.group(1)) if found else none) }}
{%- endmacro %}

{#- Pre-hook of int_assessment__indicator_value: deletes the rows of the months each value query recomputes; all rows
    when it rebuilds all. -#}
{% macro delete_assessment_months_rebuilt() -%}
{%- if execute and is_incremental() -%}
{%- set rebuilt = assessment_rebuilt_in_sql() -%}
{%- if rebuilt is none -%}
delete from {{ this }}
{%- else -%}
{%- set parts = [] -%}
{%- for query, months in rebuilt.items() if query != 'built_in_window' -%}
    {%- if months == 'all' -%}
        {%- do parts.append("value_query = '" ~ query ~ "'") -%}
    {%- elif months -%}
        {%- do parts.append("(value_query = '" ~ query ~ "' and month_start in (cast('"
            ~ (months | join("' as date), cast('")) ~ "' as date)))") -%}
    {%- endif -%}
{%- endfor -%}
{%- if parts -%}
delete from {{ this }} where {{ parts | join(' or ') }}
{%- endif -%}
{%- endif -%}
{%- endif -%}
{%- endmacro %}

{#- Post-hook of int_assessment__indicator_value: the data-quality composites it was built with, and the record
    months as this run leaves them: an increment rewrites the rows of the run's records (assessment_window_records)
    of the facts whose value query it recomputed; any other run writes them all. -#}
{% macro record_assessment_record_months() -%}
{%- if execute -%}
{%- set relation = assessment_kept_relation('record_month') -%}
{%- set rebuilt = assessment_rebuilt_in_sql() -%}
create or replace table {{ assessment_kept_relation('quality_score') }} as
select source, month_start, composite_score from {{ ref(assessment_quality_query().scores) }};
{% if rebuilt is not none -%}
{%- set records = [] -%}
{%- for query, record in assessment_record_queries().items() if rebuilt.get(query) -%}
    {%- do records.append(record) -%}
{%- endfor -%}
{%- if records -%}
create or replace temporary table assessment_run_record as
{%- for record in records %}
select '{{ record.fact }}' as fact, * from ({{ assessment_window_fact_rows(record, rebuilt.built_in_window) }}) as now_counted
union all
select '{{ record.fact }}', record_hash, cast(null as date), cast(null as date)
from ({{ assessment_window_records(record) }}) as run_record
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %};
delete from {{ relation }}
where exists (select 1 from assessment_run_record as run_record
    where run_record.fact = {{ relation }}.fact and run_record.record_hash = {{ relation }}.record_hash);
insert into {{ relation }}
select distinct fact, record_hash, month_start, partition_key from assessment_run_record where month_start is not null;
drop table assessment_run_record
{%- endif -%}
{%- else -%}
create or replace table {{ relation }} as
{%- for record in assessment_record_queries().values() %}
select '{{ record.fact }}' as fact, {{ key_hash([record.record_key]) }} as record_hash,
    cast({{ dbt.date_trunc('month', record.month_column) }} as date) as month_start, partition_key
from {{ ref(record.fact) }}
where {{ record.month_column }} is not null
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- endif -%}
{%- endif -%}
{%- endmacro %}
