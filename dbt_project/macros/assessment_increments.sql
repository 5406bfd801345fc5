{#-
  Increments of int_assessment__indicator_value (docs/assessment.md, "Increments"). A windowed run recomputes, for
  each value query, only the months the window's landed partitions can change (macro assessment_rebuilt_months):
  - none, when the window landed no source the value query is built from;
  - for a record value query (assessment_record_queries: one fact, a record per row, counted in the month of one
    date column), the months its fact's records of the run are counted in now or were counted in when the model was
    last built (a late version of an old record, a record moved to another month, gone from a re-landed partition
    or back to an earlier version), and the months up to `reach_days` after them (a request's repeat flag depends
    on those up to repeat_window_days earlier);
  - for the data-quality value query (assessment_quality_query), the months of the run's records of the record facts
    it counts, and the months whose composite of a source differs from the one the model was last built with;
  - every month otherwise (a landed population, credit list or register, or a dispute's journey can change any
    month).
  Where each record was counted, and the composites, when the model was last built are kept in two tables the
  model's post-hook writes beside it (assessment_kept_relation: 'record_month': fact, hashed record key, month,
  partition; 'quality_score'), read before they are rewritten.
-#}

{#- assessment_value(numerator, denominator): an indicator value, rounded to 9 decimals (a parallel sum's order moves
    the last bits; a month an increment recomputes must equal a rebuild's); NULL when the denominator is 0. -#}
{% macro assessment_value(numerator, denominator) -%}
round(coalesce({{ numerator }}, 0) / nullif({{ denominator }}, 0), 9)
{%- endmacro %}

{#- assessment_record_queries(): the record value queries: {value query: its fact, record key, how many days after
    a record the records it can change lie, and the date column whose month it counts a record in: the fact's
    `area_month` column (macro data_quality_rules), the month a record belongs to for every indicator}. -#}
{% macro assessment_record_queries() -%}
{%- set queries = {
    'int_assessment__service_request': {'fact': 'fct_service_request', 'record_key': 'work_order_id',
        'reach_days': var('repeat_window_days', 30) | int},
    'int_assessment__grid_event': {'fact': 'fct_grid_event', 'record_key': 'event_id', 'reach_days': 0},
    'int_assessment__police_incident': {'fact': 'fct_police_incident', 'record_key': 'incident_id', 'reach_days': 0},
    'int_assessment__emergency_event': {'fact': 'fct_emergency_event', 'record_key': 'event_id', 'reach_days': 0},
    'int_assessment__volunteer_service': {'fact': 'fct_volunteer_service', 'record_key': 'record_id', 'reach_days': 0},
} -%}
{%- set rules = data_quality_rules() -%}
{%- for record in queries.values() -%}
    {%- do record.update({'month_column': rules[record.fact].area_month[0]}) -%}
{%- endfor -%}
{{ return(queries) }}
{%- endmacro %}

{#- The record value queries by their fact: {fact: its record value query's entry of assessment_record_queries}. -#}
{% macro assessment_record_of_fact() -%}
{%- set record_of_fact = {} -%}
{%- for record in assessment_record_queries().values() -%}
    {%- do record_of_fact.update({record.fact: record}) -%}
{%- endfor -%}
{{ return(record_of_fact) }}
{%- endmacro %}

{#- The node of int_assessment__indicator_value (the value queries' macros run in their own, ephemeral, nodes). -#}
{% macro assessment_value_node() -%}
{{ return(graph.nodes['model.' ~ project_name ~ '.int_assessment__indicator_value']) }}
{%- endmacro %}

{#- assessment_kept_relation(kept): a table int_assessment__indicator_value's post-hook keeps beside it, named
    after the model and `kept`: 'record_month' (where each record was counted) or 'quality_score' (the composites). -#}
{% macro assessment_kept_relation(kept) -%}
{%- set node = assessment_value_node() -%}
{{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias ~ '__' ~ kept)) }}
{%- endmacro %}

{#- assessment_increment(): whether this run recomputes a part of int_assessment__indicator_value: a window is set,
    no full refresh, and the model and its record months were built before this invocation (dbt's cache of
    relations, filled when the invocation starts, knows both). -#}
{% macro assessment_increment() -%}
{%- if not execute or flags.FULL_REFRESH or not window_given() or model.resource_type != 'model' -%}
    {{ return(false) }}
{%- endif -%}
{%- set node = assessment_value_node() -%}
{%- set months = assessment_kept_relation('record_month') -%}
{{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) is not none
    and adapter.get_relation(database=months.database, schema=months.schema, identifier=months.identifier)
        is not none) }}
{%- endmacro %}

{#- The data-quality value query: its value for a month weighs the month's records of the facts of the data-quality
    rules' `area_month` (macro data_quality_rules) by the month's mart_data_quality_scorecard composite of their
    source. The composites it was last built with are kept beside the model (assessment_kept_relation). -#}
{% macro assessment_quality_query() -%}
{{ return({'query': 'int_assessment__data_quality', 'scores': 'mart_data_quality_scorecard'}) }}
{%- endmacro %}

{#- assessment_rebuilt_months(queries): {value query: the months a run recomputes of it: 'all', or a list of months
    (ISO dates of their first days; empty: none)} for the value queries `queries`, and, under the key
    'built_in_window', the facts whose record months hold rows of the window's partitions. One query finds the
    sources the window landed (ingestion ledger, read by name rather than with source(): it is written before dbt
    runs, and a source() would make every value query depend on it) and those facts; one more the months of the
    records (and of the changed data-quality composites). -#}
{% macro assessment_rebuilt_months(queries) -%}
{%- set rebuilt = {'built_in_window': []} -%}
{%- if not assessment_increment() -%}
    {%- for query in queries %}{% do rebuilt.update({query: 'all'}) %}{% endfor -%}
    {{ return(rebuilt) }}
{%- endif -%}
{%- set ledger = graph.sources['source.' ~ project_name ~ '.ops.ingestion_ledger'] -%}
{%- set found = run_query("select distinct 'landed', source from " ~ ledger.relation_name ~ " where "
    ~ window_partitions_of_sources('source', 'partition_key', data_quality_sources())
    ~ " union select distinct 'built', fact from " ~ assessment_kept_relation('record_month') ~ " where "
    ~ partition_window_filter('partition_key')) -%}
{%- set window_landed = found.rows | selectattr(0, 'equalto', 'landed') | map(attribute=1) | list -%}
{%- do rebuilt.update({'built_in_window': found.rows | selectattr(0, 'equalto', 'built') | map(attribute=1) | list}) -%}
{%- set contracted = data_quality_sources() | map(attribute='source') | list -%}
{%- set memo = {} -%}
{%- set record_of_fact = assessment_record_of_fact() -%}
{%- set landed_facts = window_landed_facts(record_of_fact.keys() | list, window_landed, memo) -%}
{%- set by_facts = {} -%}
{%- for query in queries -%}
    {%- set upstream = sources_upstream_of('model.' ~ project_name ~ '.' ~ query, memo) -%}
    {%- set landed = window_landed | select('in', upstream) | list -%}
    {%- set record = assessment_record_queries().get(query) -%}
    {%- if query == assessment_quality_query().query -%}
        {#- the month's records of each rule fact, and the month's composites (which the ledger also changes) -#}
        {%- set facts = [] -%}
        {%- for model, rule in data_quality_rules().items() if rule.area_month is defined -%}
            {%- do facts.append(model) -%}
        {%- endfor -%}
        {%- set scores = assessment_kept_relation('quality_score') -%}
        {%- if adapter.get_relation(database=scores.database, schema=scores.schema, identifier=scores.identifier) is none
            or facts | reject('in', record_of_fact) | select('in', window_landed_facts(facts, window_landed, memo)) | list -%}
            {%- do rebuilt.update({query: 'all'}) -%}
        {%- else -%}
            {%- do by_facts.update({query: facts | select('in', landed_facts) | list + ['scores']}) -%}
        {%- endif -%}
    {%- elif upstream | reject('in', contracted) | list -%}
        {#- built from what no window bounds (the ledger): any run can change any month -#}
        {%- do rebuilt.update({query: 'all'}) -%}
    {%- elif not landed -%}
        {%- do rebuilt.update({query: []}) -%}
    {%- elif record is none
        or landed | reject('in', sources_upstream_of('model.' ~ project_name ~ '.' ~ record.fact, memo)) | list -%}
        {%- do rebuilt.update({query: 'all'}) -%}
    {%- else -%}
        {%- do by_facts.update({query: [record.fact]}) -%}
    {%- endif -%}
{%- endfor -%}
{%- set counted = [] -%}
{%- for facts in by_facts.values() %}{% do counted.extend(facts | reject('in', counted) | list) %}{% endfor -%}
{%- if counted -%}
    {%- set months = run_query(assessment_record_months_sql(counted, rebuilt.built_in_window)) -%}
    {%- for query, facts in by_facts.items() -%}
        {%- do rebuilt.update({query: months.rows | selectattr(0, 'in', facts) | map(attribute=1) | map('string')
            | unique | list}) -%}
    {%- endfor -%}
{%- endif -%}
{{ return(rebuilt) }}
{%- endmacro %}

{#- The facts of `facts` built from a source the window landed. -#}
{% macro window_landed_facts(facts, window_landed, memo) -%}
{%- set landed = [] -%}
{%- for fact in facts
    if window_landed | select('in', sources_upstream_of('model.' ~ project_name ~ '.' ~ fact, memo)) | list -%}
    {%- do landed.append(fact) -%}
{%- endfor -%}
{{ return(landed) }}
{%- endmacro %}

{#- The (hashed) keys of the fact's records of the run: those whose row is in the window's partitions now, and those
    whose row was when the model was last built (the record months). -#}
{% macro assessment_window_records(record) -%}
select {{ key_hash([record.record_key]) }} as record_hash
from {{ ref(record.fact) }}
where {{ partition_window_filter('partition_key') }}
union
select record_hash
from {{ assessment_kept_relation('record_month') }}
where fact = '{{ record.fact }}' and {{ partition_window_filter('partition_key') }}
{%- endmacro %}

{#- The fact's rows of the run's records (assessment_window_records), with their hashed key and month: the window's
    partitions and, in a second part rather than one OR (which reads the whole fact), the rows outside it of
    records that were in it when last built: only for a fact in built_in_window (none on a new day). -#}
{% macro assessment_window_fact_rows(record, built_in_window) -%}
{%- set month_start = 'cast(' ~ dbt.date_trunc('month', record.month_column) ~ ' as date)' -%}
select {{ key_hash([record.record_key]) }} as record_hash, {{ month_start }} as month_start, partition_key
from {{ ref(record.fact) }}
where {{ partition_window_filter('partition_key') }} and {{ record.month_column }} is not null
{%- if record.fact in built_in_window %}
union all
select {{ key_hash([record.record_key]) }}, {{ month_start }}, partition_key
from {{ ref(record.fact) }}
where not {{ partition_window_filter('partition_key') }} and {{ record.month_column }} is not null
  and {{ key_hash([record.record_key]) }} in (
    select record_hash from {{ assessment_kept_relation('record_month') }}
    where fact = '{{ record.fact }}' and {{ partition_window_filter('partition_key') }})
{%- endif %}
{%- endmacro %}

{#- The months (fact, month) of the run's records of the facts `facts` (record facts, and 'scores'): those their rows
    are counted in now and were when last built, each with the months up to reach_days after it; for 'scores', the
    months whose data-quality composite of a source differs from the one the model was last built with. -#}
{% macro assessment_record_months_sql(facts, built_in_window) -%}
{%- set record_of_fact = assessment_record_of_fact() -%}
{%- set records = [] -%}
{%- for fact in facts if fact in record_of_fact %}{% do records.append(record_of_fact[fact]) %}{% endfor -%}
with
{%- for record in records %}
counted_{{ loop.index }} as (
    select month_start from ({{ assessment_window_fact_rows(record, built_in_window) }}) as now_counted
    union
    select month_start
    from {{ assessment_kept_relation('record_month') }}
    where fact = '{{ record.fact }}' and record_hash in ({{ assessment_window_records(record) }})
),
{%- endfor %}
no_month as (select cast(null as varchar) as fact, cast(null as date) as month_start where false)
select fact, month_start from no_month
{%- for record in records %}
{%- set counted = 'counted_' ~ loop.index %}
union
select '{{ record.fact }}', month_start from {{ counted }}
{%- for offset in range(1, (record.reach_days + 30) // 28 + 1) if record.reach_days > 0 %}
union
select '{{ record.fact }}', cast({{ dbt.dateadd('month', offset, 'month_start') }} as date) from {{ counted }}
where {{ dbt.dateadd('month', offset, 'month_start') }}
    <= {{ dbt.dateadd('day', record.reach_days - 1, dbt.dateadd('month', 1, 'month_start')) }}
{%- endfor %}
{%- endfor %}
{%- if 'scores' in facts %}
union
select 'scores', month_start from (
    (select source, month_start, composite_score from {{ ref(assessment_quality_query().scores) }}
     except
     select source, month_start, composite_score from {{ assessment_kept_relation('quality_score') }})
    union all
    (select source, month_start, composite_score from {{ assessment_kept_relation('quality_score') }}
     except
     select source, month_start, composite_score from {{ ref(assessment_quality_query().scores) }})
) as changed
{%- endif %}
{%- endmacro %}

{#- assessment_month_filter(alias, column): the predicate a value query reads a fact with (`alias`: the fact's alias
    in the query, if any; `column`: the date column, by default the record value query's; `months`: assessment_rebuilt_months' for this
    query, when the query has them already): the rows counted in the months this run recomputes, as date ranges, so the scan
    skips the row groups of other months. -#}
{% macro assessment_month_filter(alias=none, column=none, months=none) -%}
{%- set column = (alias ~ '.' if alias else '') ~ (column or assessment_record_queries()[model.name].month_column) -%}
{%- set months = assessment_rebuilt_months([model.name])[model.name] if months is none else months -%}
{%- if months == 'all' -%}
true
{%- elif not months -%}
false
{%- else -%}
(
    {%- for month in months | sort %}
    {% if not loop.first %}or {% endif %}({{ column }} >= cast('{{ month }}' as date)
        and {{ column }} < cast({{ dbt.dateadd('month', 1, "cast('" ~ month ~ "' as date)") }} as date))
    {%- endfor %}
)
{%- endif -%}
{%- endmacro %}
