{#-
  day_run_checkpoint_threshold(): on-run-start. A day's run (a window set, no full refresh) lets DuckDB checkpoint
  the warehouse once, when the run ends: at DuckDB's default threshold (16 MiB of write-ahead log) it checkpointed
  mid-run as well, on whichever node's commit crossed it, and a checkpoint writes metadata that grows with history
  (a 0.57 s commit after a year of nine departments, none after 30 days). A full build keeps the default: with the
  larger threshold it took 1.5-2 s longer (docs/architecture.md). The setting lasts as long as the dbt process's
  database instance.
-#}
{% macro day_run_checkpoint_threshold() -%}
{{ return(adapter.dispatch('day_run_checkpoint_threshold', 'citybrain')()) }}
{%- endmacro %}

{% macro default__day_run_checkpoint_threshold() -%}
{%- endmacro %}

{% macro duckdb__day_run_checkpoint_threshold() -%}
{%- if execute and not flags.FULL_REFRESH and window_given() -%}
set checkpoint_threshold = '256MB'
{%- endif -%}
{%- endmacro %}
