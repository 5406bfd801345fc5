{#-
  Incremental windows. A run's window (ISO dates, inclusive) bounds the landed partitions it reads; unset (empty)
  means all history, and so does a full refresh (`--full-refresh` rebuilds every incremental model from all landed
  partitions, whatever the window). Monthly partitions are keyed by the month's first day, so for grain='month' the
  months are compared (a window 2026-01-15..2026-01-15 reads the partition 2026-01-01); weekly ones by the Monday
  of the ISO week, so for grain='week' the weeks are compared.

  The pipeline passes the window as the environment variables CITYBRAIN_WINDOW_START / CITYBRAIN_WINDOW_END, read
  only while dbt executes (`execute`): dbt's parse records no dependency on them, so a new window each run keeps
  the partial parse (a changed `--vars` re-parses the whole project). The vars `window_start` / `window_end`, when
  set, override them (a person running dbt by hand, dbt unit tests).
-#}

{#- run_setting(name): the var `name` when it is set, else (while executing) the env var CITYBRAIN_<NAME>;
    none when neither is set. -#}
{% macro run_setting(name) -%}
{%- set value = var(name, none) -%}
{%- if (value is none or (value | string | trim) in ('', 'null', 'None', 'none')) and execute -%}
    {%- set value = env_var('CITYBRAIN_' ~ (name | upper), '') -%}
{%- endif -%}
{%- if value is none or (value | string | trim) in ('', 'null', 'None', 'none') -%}
    {{ return(none) }}
{%- endif -%}
{{ return(value) }}
{%- endmacro %}

{% macro window_bound(name) -%}
{%- set value = run_setting(name) -%}
{%- if value is none -%}
    {{ return(none) }}
{%- endif -%}
{%- set text = value | string | trim -%}
{%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
    {{ exceptions.raise_compiler_error("window setting '" ~ name ~ "' must be an ISO date YYYY-MM-DD, got '" ~ text ~ "'") }}
{%- endif -%}
{{ return(text) }}
{%- endmacro %}

{#- window_given(): the run was given a window (either bound), whatever its materialization. -#}
{% macro window_given() -%}
{{ return(window_bound('window_start') is not none or window_bound('window_end') is not none) }}
{%- endmacro %}

{% macro window_is_set() -%}
{%- set full_refresh = flags.FULL_REFRESH and not is_incremental() -%}
{{ return(not full_refresh and window_given()) }}
{%- endmacro %}

{#- partition_window_filter(column, grain): a SQL predicate on the partition column; `true` when no window. -#}
{% macro partition_window_filter(column, grain='day') -%}
{%- set start = window_bound('window_start') -%}
{%- set end = window_bound('window_end') -%}
{%- if grain not in ('day', 'week', 'month') -%}
    {{ exceptions.raise_compiler_error("partition_window_filter: grain must be 'day', 'week' or 'month', got '" ~ grain ~ "'") }}
{%- endif -%}
{%- if not window_is_set() -%}
true
{%- elif grain in ('week', 'month') -%}
(
    {%- if start is not none %}date_trunc('{{ grain }}', cast({{ column }} as date)) >= date_trunc('{{ grain }}', date '{{ start }}'){% endif -%}
    {%- if start is not none and end is not none %} and {% endif -%}
    {%- if end is not none %}date_trunc('{{ grain }}', cast({{ column }} as date)) <= date_trunc('{{ grain }}', date '{{ end }}'){% endif -%}
)
{%- else -%}
(
    {%- if start is not none %}cast({{ column }} as date) >= date '{{ start }}'{% endif -%}
    {%- if start is not none and end is not none %} and {% endif -%}
    {%- if end is not none %}cast({{ column }} as date) <= date '{{ end }}'{% endif -%}
)
{%- endif -%}
{%- endmacro %}
