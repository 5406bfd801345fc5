{#-
  Each governance case's records (一件事-来源记录), with the rule that matched each (docs/governance.md).
  partition_key: the landed partition of the record's version.
  Incremental: a windowed run rebuilds the records of the cases fct_governance_case rebuilds (it runs after that
  model, which reads this one as built, and reads the cases it kept; it finds them itself in an invocation that did
  not build the fact); a record gone upstream is deleted (macros/governance_increments.sql).
-#}
-- depends_on: {{ ref('fct_governance_case') }}
{{ config(
    materialized='incremental',
    unique_key=['source', 'record_id'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_governance_rows_gone(ref('int_governance__case_member')) }}",
) }}

{%- set increment = governance_increment() -%}
{%- set kept = increment and governance_rebuilt_cases_found() -%}

with
{%- if increment and not kept %}
{{ governance_rebuild_ctes(ref('int_governance__case_member'), this) }}
{%- endif %}

member as (
    {%- if increment %}
    select * from {{ rows_where(ref('int_governance__case_member'), 'case_hash in (select case_hash from '
        ~ (governance_rebuilt_cases() ~ ' as rebuilt' if kept else 'gov_rebuilt_case') ~ ')') }}
        as member
    {%- else %}
    select * from {{ ref('int_governance__case_member') }} as member
    {%- endif %}
)

select
    cast(case_id as varchar) as case_id,
    cast(source as varchar) as source,
    cast(record_id as varchar) as record_id,
    cast(match_rule as varchar) as match_rule,
    cast(department_code as varchar) as department_code,
    cast(occurred_at as timestamptz) as occurred_at,
    cast(community_code as varchar) as community_code,
    cast(category_code as varchar) as category_code,
    cast(is_closed as boolean) as is_closed,
    cast(partition_key as date) as partition_key
from member
