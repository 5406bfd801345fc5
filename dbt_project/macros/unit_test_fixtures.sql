{#-
  landed_fixture(source_name, table_name, rows): the SQL of a unit-test input `source(...)` (use `format: sql` and
  wrap the call in raw tags, because property files are rendered at parse time).
  dbt builds dict/csv fixtures from the columns of an existing relation, but landed sources are external Parquet
  (read_parquet) and the unit-test context has no graph, so the landed columns are listed here: every contract column
  (VARCHAR, as in contracts/*.yaml and the _<source>__sources.yml files) plus the lineage columns. Columns a row
  does not mention are NULL. The singular test assert_landed_columns_match_sources keeps this list in step with the
  source YAML.
-#}
{% macro landed_columns() -%}
{{ return({
    'grid_events.events': [
        'event_id',
        'grid_code',
        'source_category',
        'event_title',
        'reported_at_ms',
        'status_code',
        'status_history',
        'reporter_id',
        'longitude',
        'latitude',
    ],
    'hotline_12345.work_orders': [
        'work_order_id',
        'accepted_at',
        'channel_name',
        'request_type_name',
        'source_category',
        'request_title',
        'district_name',
        'incident_address',
        'caller_name',
        'caller_phone',
        'caller_id_number',
        'dispatched_at',
        'responded_at',
        'closed_at',
        'status_name',
        'satisfaction_name',
    ],
    'mediation_cases.cases': [
        'case_id',
        'accepted_date',
        'mediation_committee',
        'district_name',
        'street_name',
        'source_category',
        'applicant_name',
        'applicant_id_number',
        'respondent_name',
        'respondent_id_number',
        'outcome_name',
        'closed_date',
        'agreement_amount',
        'referred_to_litigation',
    ],
}) }}
{%- endmacro %}

{% macro landed_lineage_columns() -%}
{{ return([
    ('_source_file', 'varchar'),
    ('_source_row', 'bigint'),
    ('_load_id', 'varchar'),
    ('_ingested_at', 'timestamp with time zone'),
    ('_record_hash', 'varchar'),
    ('partition_key', 'date'),
]) }}
{%- endmacro %}

{% macro landed_fixture(source_name, table_name, rows) -%}
{%- set key = source_name ~ '.' ~ table_name -%}
{%- set contract_columns = landed_columns().get(key) -%}
{%- if contract_columns is none -%}
    {{ exceptions.raise_compiler_error("landed_fixture: unknown landed source " ~ key) }}
{%- endif -%}
{%- set columns = [] -%}
{%- for name in contract_columns %}{% do columns.append((name, 'varchar')) %}{% endfor -%}
{%- for column in landed_lineage_columns() %}{% do columns.append(column) %}{% endfor -%}
{%- set column_names = columns | map(attribute=0) | list -%}
{%- for row in rows %}
{%- set unknown = row.keys() | reject('in', column_names) | list -%}
{%- if unknown -%}
    {{ exceptions.raise_compiler_error("landed_fixture: " ~ key ~ " has no column(s) " ~ unknown | join(', ')) }}
{%- endif %}
select
{%- for name, data_type in columns %}
    cast({% if row.get(name) is none %}null{% else %}'{{ row[name] | string | replace("'", "''") }}'{% endif %} as {{ data_type }}) as {{ name }}{% if not loop.last %},{% endif %}
{%- endfor %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- if rows | length == 0 %}
select
{%- for name, data_type in columns %}
    cast(null as {{ data_type }}) as {{ name }}{% if not loop.last %},{% endif %}
{%- endfor %}
limit 0
{%- endif %}
{%- endmacro %}
