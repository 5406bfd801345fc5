{#-
  Data-quality rules (数据质量规则) of the models that conform and derive each source's records, and the helpers the
  data-quality marts are generated with (ops_unmapped_codes derives its checks from the contracts instead). Rules belong to models, not to sources: the source
  a model's records come from is found in the dbt graph (macro source_of_model), and the sources themselves come
  from the contracts (macro `source_contracts()`, derived from contracts/*.yaml by make).

  Per model:
  - conformed:   (element, delivered column, conformed code column, code-set seed[, condition]) — a delivered
                 value is valid when it conformed to the city standard's code set (validity);
  - identifiers: `*_is_valid` flags (GB 11643 citizen IDs, GB 32100 USCCs); NULL when nothing was delivered
                 (validity);
  - consistency: boolean SQL expressions every record must satisfy; NULL when not applicable (consistency). The
                 facts' durations are NULL when negative, so order and plausibility are checked on the dates;
  - area_month:  (date column, condition or none) of a fact whose records count for the data-quality indicator of the area
                 (district, street) and month they belong to (int_assessment__data_quality).
-#}
{% macro data_quality_rules() -%}
{{ return({
    'int_hotline_12345__work_orders': {
        'conformed': [
            ('district', 'district_name', 'district_code', 'std_division_district'),
            ('category', 'source_category', 'category_code', 'map_category__hotline_12345'),
            ('channel', 'channel_name', 'channel_code', 'std_channel'),
            ('request_type', 'request_type_name', 'request_type_code', 'std_request_type'),
            ('status', 'status_name', 'status_code', 'std_request_status'),
            ('satisfaction', 'satisfaction_name', 'satisfaction_code', 'std_satisfaction'),
        ],
        'identifiers': ['caller_id_is_valid'],
    },
    'int_grid_events__events': {
        'conformed': [
            ('grid', 'source_grid_code', 'grid_code', 'std_grid'),
            ('category', 'source_category', 'category_code', 'map_category__grid_events'),
            ('status', 'source_status_code', 'status_code', 'std_grid_event_status'),
        ],
    },
    'int_mediation_cases__cases': {
        'conformed': [
            ('district', 'district_name', 'district_code', 'std_division_district'),
            ('street', 'street_name', 'street_code', 'std_division_street', 'district_code is not null'),
            ('dispute_category', 'source_category', 'dispute_category_code', 'map_dispute_category__mediation_cases'),
            ('outcome', 'outcome_name', 'outcome_code', 'std_mediation_outcome'),
        ],
        'identifiers': ['applicant_id_is_valid', 'respondent_id_is_valid'],
    },
    'int_police_incidents__incidents': {
        'conformed': [
            ('report_channel', 'report_channel', 'report_channel_code', 'std_report_channel'),
            ('incident_class', 'incident_class', 'incident_class_code', 'std_police_incident_class'),
            ('incident_type', 'incident_type', 'incident_type_code', 'std_police_incident_type'),
            ('jurisdiction', 'jurisdiction', 'jurisdiction_code', 'std_police_jurisdiction'),
        ],
    },
    'int_emergency_events__events': {
        'conformed': [
            ('event_type', 'event_type', 'event_type_code', 'std_emergency_event_type'),
            ('severity', 'severity', 'severity_level', 'std_emergency_severity'),
            ('district', 'district_name', 'district_code', 'std_division_district'),
            ('street', 'street_name', 'street_code', 'std_division_street', 'district_code is not null'),
        ],
    },
    'int_credit_lists__entries': {
        'conformed': [
            ('credit_subject_type', 'subject_type_name', 'subject_type', 'std_credit_subject_type'),
            ('credit_list_type', 'list_type_name', 'list_type_code', 'std_credit_list_type'),
            ('district', 'district_name', 'district_code', 'std_division_district'),
        ],
        'identifiers': ['code_is_valid'],
    },
    'int_volunteer_services__service_records': {
        'conformed': [
            ('community', 'community_name', 'community_code', 'std_division_community'),
            ('volunteer_service_category', 'service_category_name', 'service_category_code',
             'std_volunteer_service_category'),
            ('volunteer_record_status', 'record_status_name', 'record_status_code', 'std_volunteer_record_status'),
        ],
    },
    'int_enterprise_register__snapshots': {
        'conformed': [
            ('registration_status', 'registration_status', 'registration_status_code', 'std_registration_status'),
            ('district', 'registration_authority', 'district_code', 'map_district__enterprise_register'),
            ('industry', 'industry_code_delivered', 'industry_code', 'std_industry'),
        ],
        'identifiers': ['code_is_valid'],
    },
    'int_community_population__months': {
        'conformed': [
            ('community', 'community_code_delivered', 'community_code', 'std_division_community'),
        ],
    },
    'fct_community_population': {
        'consistency': ['is_plausible'],
    },
    'fct_service_request': {
        'consistency': ['lifecycle_in_order', 'not has_implausible_dates'],
        'area_month': ('accepted_date', 'not has_implausible_dates'),
    },
    'fct_grid_event': {
        'consistency': ['lifecycle_in_order', 'not has_implausible_dates'],
        'area_month': ('reported_date', 'not has_implausible_dates'),
    },
    'fct_dispute_case': {
        'consistency': ['closed_date >= accepted_date', 'not has_implausible_dates'],
        'area_month': ('accepted_date', 'not has_implausible_dates'),
    },
    'fct_police_incident': {
        'consistency': ['lifecycle_in_order', 'not has_implausible_dates'],
        'area_month': ('reported_date', 'not has_implausible_dates'),
    },
    'fct_emergency_event': {
        'consistency': ['not has_implausible_dates'],
        'area_month': ('reported_date', 'not has_implausible_dates'),
    },
    'fct_credit_list_entry': {
        'consistency': ['valid_until >= listed_date', 'removed_date >= listed_date'],
    },
    'fct_volunteer_service': {
        'consistency': ['ended_at > started_at', 'hours_are_valid'],
        'area_month': ('started_at', none),
    },
}) }}
{%- endmacro %}

{#- The source (source_name) a model's records come from, found upstream in the dbt graph; '' while parsing. -#}
{% macro source_of_model(model_name) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set pending = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {%- do pending.extend(node.depends_on.nodes) -%}
    {%- endfor -%}
    {%- set seen = [] -%}
    {%- for _ in range(50) if pending -%}
        {%- set unique_id = pending.pop(0) -%}
        {%- if unique_id in graph.sources -%}{{ return(graph.sources[unique_id].source_name) }}{%- endif -%}
        {%- if unique_id not in seen and unique_id in graph.nodes -%}
            {%- do seen.append(unique_id) -%}
            {%- do pending.extend(graph.nodes[unique_id].depends_on.nodes) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- The sources to score, from macro source_contracts() ({source: {department_code, department_name, partition_type,
    expected_by, important_columns, ...}}), each with its landed dbt source table (graph.sources). -#}
{% macro data_quality_sources() -%}
    {%- set contracts = source_contracts() -%}
    {%- set sources = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() if node.package_name == project_name and node.source_name in contracts -%}
            {%- set entry = {'source': node.source_name, 'table': node.name} -%}
            {%- do entry.update(contracts[node.source_name]) -%}
            {%- do sources.append(entry) -%}
        {%- endfor -%}
        {%- if not sources -%}
            {%- do exceptions.warn("source_contracts() holds no source: the data-quality marts have no source to score "
                                   "(make derives it from contracts/*.yaml; see docs/data_quality.md)") -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(sources | sort(attribute='source')) }}
{%- endmacro %}

{#- ratio(numerator, denominator): DOUBLE, NULL when the denominator is 0 or NULL. -#}
{% macro quality_ratio(numerator, denominator) -%}
case when coalesce({{ denominator }}, 0) > 0 then cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{#- A ledger row for a file that was delivered (not a no-delivery marker row, not refused, not still being written). -#}
{% macro delivered_file_condition() -%}
coalesce(source_file, '') <> '' and status not in ('no_delivery', 'refused', 'incomplete')
{%- endmacro %}

{#- partition_period(partition_type): the length of one partition of that type (a SQL expression holding
    'daily', 'weekly' or 'monthly'), as an interval. -#}
{% macro partition_period(partition_type) -%}
case {{ partition_type }} when 'monthly' then interval 1 month when 'weekly' then interval 7 day else interval 1 day end
{%- endmacro %}

{#- When a partition's delivery is due: `expected_by` local time on the first day after the partition (the next
    day, the Monday after a week, the 1st of the next month; the contract's freshness.expected_by; session time
    zone is local). -#}
{% macro delivery_deadline(partition_key, partition_type, expected_by) -%}
cast(
    cast({{ partition_key }} + {{ partition_period(partition_type) }} as date) + {{ expected_by }}
    as timestamptz)
{%- endmacro %}

{#- The number of important columns of the source in `source_column` (a CASE over the scored sources). -#}
{% macro important_column_count(source_column, sources) -%}
case {{ source_column }}{% for s in sources %} when '{{ s.source }}' then {{ s.important_columns | length }}{% endfor %} else 0 end
{%- endmacro %}

{#- window_partitions_of_sources(source_column, partition_column, sources): a predicate true for the partitions of
    the run's window, compared at each source's grain (days, ISO weeks or months); `true` without a window. -#}
{% macro window_partitions_of_sources(source_column, partition_column, sources) -%}
{%- if not window_is_set() -%}
true
{%- else -%}
case {{ source_column }}
{%- for s in sources %} when '{{ s.source }}' then {{ partition_window_filter(partition_column, grain=contract_grain(s)) }}{% endfor %}
 else false end
{%- endif -%}
{%- endmacro %}

{#- The scored dimensions: each is a `<dimension>_score` column of the data-quality marts and a row of the seed
    cfg_data_quality_weight. -#}
{% macro quality_dimensions() -%}
{{ return(['timeliness', 'completeness', 'validity', 'uniqueness', 'consistency', 'quarantine']) }}
{%- endmacro %}

{#- sources_landed_in_window(sources): in an incremental run with a window, the names of the scored sources the
    ingestion ledger holds a partition of in the window (at each source's grain); none (every source) otherwise. -#}
{% macro sources_landed_in_window(sources) -%}
{%- if not (execute and is_incremental() and window_is_set()) or not sources -%}
    {{ return(none) }}
{%- endif -%}
{{ return(run_query("select distinct source from " ~ source('ops', 'ingestion_ledger') ~ " where "
    ~ window_partitions_of_sources('source', 'partition_key', sources)).columns[0].values() | list) }}
{%- endmacro %}

{#- sources_upstream_of(unique_id, memo): the source_names a node is built from, directly or through upstream models
    (memo: a dict shared by the calls of one compilation, so each node is walked once). -#}
{% macro sources_upstream_of(unique_id, memo) -%}
{%- if unique_id not in memo -%}
    {%- if unique_id in graph.sources -%}
        {%- do memo.update({unique_id: [graph.sources[unique_id].source_name]}) -%}
    {%- else -%}
        {%- do memo.update({unique_id: []}) -%}
        {%- set found = [] -%}
        {%- for parent in graph.nodes[unique_id].depends_on.nodes if unique_id in graph.nodes -%}
            {%- do found.extend(sources_upstream_of(parent, memo)) -%}
        {%- endfor -%}
        {%- do memo.update({unique_id: found | unique | list}) -%}
    {%- endif -%}
{%- endif -%}
{{ return(memo[unique_id]) }}
{%- endmacro %}

{#- rule_models_to_recount(rules, landed): {model: its rules} of the rule models whose source's counts
    mart_data_quality_daily counts again: every rule model of a source one of whose rule models is built from a
    source landed in the window (`landed`, from sources_landed_in_window). Every other source's rule models were
    not rebuilt from new data, so its counts stay as built. All of them when `landed` is none. -#}
{% macro rule_models_to_recount(rules, landed) -%}
{%- if landed is none -%}{{ return(rules) }}{%- endif -%}
{%- set memo = {} -%}
{%- set model_ids = {} -%}
{%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name in rules -%}
    {%- do model_ids.update({node.name: node.unique_id}) -%}
{%- endfor -%}
{%- set source_of = {} -%}
{%- set recounted = [] -%}
{%- for model in rules -%}
    {%- do source_of.update({model: source_of_model(model)}) -%}
    {%- if sources_upstream_of(model_ids[model], memo) | select('in', landed) | list -%}
        {%- do recounted.append(source_of[model]) -%}
    {%- endif -%}
{%- endfor -%}
{%- set models = {} -%}
{%- for model, model_rules in rules.items() if source_of[model] in recounted -%}
    {%- do models.update({model: model_rules}) -%}
{%- endfor -%}
{{ return(models) }}
{%- endmacro %}
