{#-
  Data quality per source per partition (数据质量日评): the six dimensions of docs/data_quality.md, with the counts
  each score is computed from. Sources and their departments come from the contracts (macro source_contracts(),
  derived by make; macro data_quality_sources); validity and consistency from the rules of the models built from
  each source (macro data_quality_rules). Every partition between a source's first and last ledgered partition has a row; one
  without a delivered file is not on time and has no other score.

  Incremental, every row rewritten on every run, but only the window's landed Parquet is read: a partition's
  landed cells change only when it is (re-)landed, which a run's window covers, so the other partitions keep the
  completeness counts they were built with. The ledger and quarantine (tables of a few rows per file) are counted
  whole. A source's rule counts are counted whole (a record's newer version moves its rule counts to a later
  partition) when one of its rule models is built from a source the window landed (macro
  rule_models_to_recount); the other sources keep the rule counts they were built with, and the landed Parquet of
  a source the window did not land is not read: planning the query over every source and rule model costs more
  than running it.
-#}
{{ config(
    materialized='incremental',
    unique_key=['source', 'partition_key'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
-- depends_on: {{ source('ops', 'ingestion_ledger') }}
{%- set sources = data_quality_sources() -%}
{%- set rules = data_quality_rules() -%}
{%- set landed = sources_landed_in_window(sources) -%}
{%- set recounted_rules = rule_models_to_recount(rules, landed) -%}
{%- set landed_sources = sources if landed is none else sources | selectattr('source', 'in', landed) | list %}

with contract as (
{%- for s in sources %}
    select
        '{{ s.source }}' as source,
        '{{ s.department_code }}' as department_code,
        '{{ s.department_name | replace("'", "''") }}' as department_name,
        '{{ s.partition_type }}' as partition_type,
        cast('{{ s.expected_by }}' as time) as expected_by
    {%- if not loop.last %}
    union all{% endif %}
{%- else %}
    select
        cast(null as varchar) as source, cast(null as varchar) as department_code,
        cast(null as varchar) as department_name, cast(null as varchar) as partition_type,
        cast(null as time) as expected_by
    where false
{%- endfor %}
),

ledger as (
    select
        source,
        cast(partition_key as date) as partition_key,
        count(*) filter (where {{ delivered_file_condition() }}) as files_delivered,
        min(coalesce(delivered_at, loaded_at)) filter (where {{ delivered_file_condition() }}) as first_delivered_at,
        sum(rows_read) as records_read,
        sum(rows_landed) as records_landed,
        sum(rows_quarantined) as records_quarantined
    from {{ source('ops', 'ingestion_ledger') }}
    group by all
),

quarantine as (
    select
        source,
        cast(partition_key as date) as partition_key,
        count(*) filter (where reason in ('duplicate_record', 'duplicate_delivery')) as duplicate_records,
        count(*) filter (where reason = 'missing_required') as missing_required_records
    from {{ source('ops', 'quarantine') }}
    group by all
),

partition_spine as (
    select
        contract.source,
        cast(unnest(generate_series(
            min(cast(ledger.partition_key as timestamp)),
            max(cast(ledger.partition_key as timestamp)),
            {{ partition_period('contract.partition_type') }}
        )) as date) as partition_key
    from contract
    inner join ledger on ledger.source = contract.source
    group by contract.source, contract.partition_type
),

landed_cells as (
{%- for s in landed_sources %}
    {%- set columns = s.important_columns %}
    select
        '{{ s.source }}' as source,
        cast(partition_key as date) as partition_key,
        {{ columns | length }} * count(*) as important_cells,
        {% for column in columns %}count({{ adapter.quote(column) }}){% if not loop.last %} + {% endif %}{% else %}0{% endfor %} as filled_important_cells
    from {{ landed_source(s.source) }}  {# a source never landed is an empty relation #}
    where {{ partition_window_filter('partition_key', grain=contract_grain(s)) if is_incremental() else 'true' }}
    group by all
    {%- if not loop.last %}
    union all{% endif %}
{%- else %}
    select cast(null as varchar) as source, cast(null as date) as partition_key, 0 as important_cells,
        0 as filled_important_cells
    where false
{%- endfor %}
),

completeness as (
    select source, partition_key, important_cells, filled_important_cells from landed_cells
    {%- if is_incremental() %}
    union all
    -- partitions outside the window: their landed cells as built (important_cells also counted the quarantined
    -- records missing a required field, see measured)
    select
        built.source,
        built.partition_key,
        built.important_cells - built.missing_required_records * {{ important_column_count('built.source', sources) }},
        built.filled_important_cells
    from {{ this }} as built
    where not ({{ window_partitions_of_sources('built.source', 'built.partition_key', sources) }})
    {%- endif %}
),

rule_counts as (
{%- for model, model_rules in recounted_rules.items() %}
    {%- set conformed = model_rules.get('conformed', []) %}
    {%- set identifiers = model_rules.get('identifiers', []) %}
    {%- set consistency = model_rules.get('consistency', []) %}
    select
        '{{ source_of_model(model) }}' as source,
        cast(partition_key as date) as partition_key,
        0
        {%- for element in conformed %} + count(case when {{ element[4] if element | length > 4 else 'true' }} then {{ element[1] }} end){% endfor %}
        {%- for flag in identifiers %} + count({{ flag }}){% endfor %} as validity_checks,
        0
        {%- for element in conformed %} + count(case when {{ element[4] if element | length > 4 else 'true' }} and {{ element[1] }} is not null then {{ element[2] }} end){% endfor %}
        {%- for flag in identifiers %} + count(case when {{ flag }} then 1 end){% endfor %} as validity_passed,
        0{% for rule in consistency %} + count({{ rule }}){% endfor %} as consistency_checks,
        0{% for rule in consistency %} + count(case when {{ rule }} then 1 end){% endfor %} as consistency_passed
    from {{ ref(model) }}
    group by all
    union all
{%- endfor %}
    {%- if landed is none %}
    select cast(null as varchar), cast(null as date), 0, 0, 0, 0 where false
    {%- else %}
    -- the sources not counted again: their rule counts as built
    select source, partition_key, validity_checks, validity_passed, consistency_checks, consistency_passed
    from {{ this }}
    where source not in ({% for model in recounted_rules %}'{{ source_of_model(model) }}', {% endfor %}'')
    {%- endif %}
),

rules_by_partition as (
    select
        source,
        partition_key,
        sum(validity_checks) as validity_checks,
        sum(validity_passed) as validity_passed,
        sum(consistency_checks) as consistency_checks,
        sum(consistency_passed) as consistency_passed
    from rule_counts
    group by all
),

measured as (
    select
        contract.source,
        contract.department_code,
        contract.department_name,
        partition_spine.partition_key,
        cast(date_trunc('month', partition_spine.partition_key) as date) as month_start,
        {{ delivery_deadline('partition_spine.partition_key', 'contract.partition_type', 'contract.expected_by') }}
            as deadline_at,
        ledger.first_delivered_at,
        coalesce(ledger.files_delivered, 0) > 0 as is_delivered,
        coalesce(ledger.first_delivered_at <= {{ delivery_deadline('partition_spine.partition_key',
            'contract.partition_type', 'contract.expected_by') }}, false) as is_on_time,
        coalesce(ledger.records_read, 0) as records_read,
        coalesce(ledger.records_landed, 0) as records_landed,
        coalesce(ledger.records_quarantined, 0) as records_quarantined,
        coalesce(quarantine.duplicate_records, 0) as duplicate_records,
        coalesce(quarantine.missing_required_records, 0) as missing_required_records,
        -- a record quarantined for an empty required field counts as empty in every important field
        coalesce(completeness.important_cells, 0) + coalesce(quarantine.missing_required_records, 0)
            * {{ important_column_count('contract.source', sources) }} as important_cells,
        coalesce(completeness.filled_important_cells, 0) as filled_important_cells,
        coalesce(rules_by_partition.validity_checks, 0) as validity_checks,
        coalesce(rules_by_partition.validity_passed, 0) as validity_passed,
        coalesce(rules_by_partition.consistency_checks, 0) as consistency_checks,
        coalesce(rules_by_partition.consistency_passed, 0) as consistency_passed
    from partition_spine
    inner join contract on contract.source = partition_spine.source
    left join ledger
        on ledger.source = partition_spine.source and ledger.partition_key = partition_spine.partition_key
    left join quarantine
        on quarantine.source = partition_spine.source and quarantine.partition_key = partition_spine.partition_key
    left join completeness
        on completeness.source = partition_spine.source and completeness.partition_key = partition_spine.partition_key
    left join rules_by_partition
        on rules_by_partition.source = partition_spine.source
        and rules_by_partition.partition_key = partition_spine.partition_key
)

select
    cast(source as varchar) as source,
    cast(department_code as varchar) as department_code,
    cast(department_name as varchar) as department_name,
    cast(partition_key as date) as partition_key,
    cast(month_start as date) as month_start,
    cast(deadline_at as timestamptz) as deadline_at,
    cast(first_delivered_at as timestamptz) as first_delivered_at,
    cast(is_delivered as boolean) as is_delivered,
    cast(is_on_time as boolean) as is_on_time,
    cast(records_read as bigint) as records_read,
    cast(records_landed as bigint) as records_landed,
    cast(records_quarantined as bigint) as records_quarantined,
    cast(duplicate_records as bigint) as duplicate_records,
    cast(missing_required_records as bigint) as missing_required_records,
    cast(important_cells as bigint) as important_cells,
    cast(filled_important_cells as bigint) as filled_important_cells,
    cast(validity_checks as bigint) as validity_checks,
    cast(validity_passed as bigint) as validity_passed,
    cast(consistency_checks as bigint) as consistency_checks,
    cast(consistency_passed as bigint) as consistency_passed,
    cast(case when is_on_time then 1.0 else 0.0 end as double) as timeliness_score,
    cast({{ quality_ratio('filled_important_cells', 'important_cells') }} as double) as completeness_score,
    cast({{ quality_ratio('validity_passed', 'validity_checks') }} as double) as validity_score,
    cast(1 - {{ quality_ratio('duplicate_records', 'records_read') }} as double) as uniqueness_score,
    cast({{ quality_ratio('consistency_passed', 'consistency_checks') }} as double) as consistency_score,
    cast({{ quality_ratio('records_quarantined', 'records_read') }} as double) as quarantine_rate,
    cast(1 - {{ quality_ratio('records_quarantined', 'records_read') }} as double) as quarantine_score
from measured
