{#-
  Timestamp and date parsing. Every result is TIMESTAMPTZ in the city's time zone (city_timezone(): Asia/Shanghai
  for a Chinese city) or DATE.
  Unparseable text becomes NULL (never an error): the row is kept, the quality tests report it.
-#}

{#- city_timezone(): the city's time zone as a SQL string, settings.TIMEZONE (the dbt environment's
    CITYBRAIN_TIMEZONE), the one every connection sets as its TimeZone. -#}
{% macro city_timezone() -%}
'{{ env_var('CITYBRAIN_TIMEZONE') }}'
{%- endmacro %}

{#- Local wall-clock formats tried, in order, for text without an offset. -#}
{% macro local_timestamp_formats() -%}
['%Y/%m/%d %H:%M:%S', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y/%m/%d %H:%M', '%Y-%m-%d %H:%M',
 '%Y-%m-%d %H:%M:%S.%f', '%Y%m%d%H%M%S', '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H时%M分%S秒']
{%- endmacro %}

{#- parse_local_timestamp(expr, fmt): `fmt` (the contract's format, or a list of its alternatives) first (those with
    an offset `%z` as written, the others as Asia/Shanghai wall-clock time), then the common local formats
    (Asia/Shanghai wall-clock time), then ISO 8601 with an explicit offset. -#}
{% macro parse_local_timestamp(expr, fmt=none) -%}
{%- set value = clean_text(expr) -%}
{%- set formats = ([fmt] if fmt is string else fmt) if fmt else [] -%}
{%- set local_formats = [] -%}
{%- set zoned_formats = [] -%}
{%- for pattern in formats -%}
    {%- do (zoned_formats if '%z' in pattern else local_formats).append(pattern) -%}
{%- endfor -%}
coalesce(
    {%- if local_formats %}
    timezone({{ city_timezone() }}, try_strptime({{ value }}, {{ sql_text_list(local_formats) }})),
    {%- endif %}
    {%- if zoned_formats %}
    try_strptime({{ value }}, {{ sql_text_list(zoned_formats) }}),
    {%- endif %}
    timezone({{ city_timezone() }}, try_strptime({{ value }}, {{ local_timestamp_formats() }})),
    try_strptime({{ value }}, ['%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%d %H:%M:%S%z'])
)
{%- endmacro %}

{#- parse_epoch_ms(expr): epoch milliseconds (as text) to TIMESTAMPTZ; non-numeric text falls back to
    parse_local_timestamp. -#}
{% macro parse_epoch_ms(expr) -%}
coalesce(
    make_timestamptz(try_cast(try_cast({{ clean_text(expr) }} as double) as bigint) * 1000),
    {{ parse_local_timestamp(expr) }}
)
{%- endmacro %}

{#- parse_excel_date(expr): a date as an XLSX cell lands: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, `YYYY/MM/DD`,
    `2026年11月3日`, or an Excel serial number (1900 date system: date '1899-12-30' + n days, exact from serial 61 =
    1900-03-01 on; a fractional part is the time of day and is dropped). -#}
{% macro parse_excel_date(expr) -%}
{%- set value = clean_text(expr) -%}
case
    when regexp_full_match({{ value }}, '[0-9]{1,7}(\.[0-9]+)?')
        then case
            when try_cast({{ value }} as double) between 1 and 2958465
                then date '1899-12-30' + cast(floor(try_cast({{ value }} as double)) as integer)
        end
    else cast(try_strptime({{ value }}, [
        '%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y/%m/%d', '%Y/%m/%d %H:%M:%S', '%Y年%m月%d日', '%Y.%m.%d',
        '%Y-%m-%dT%H:%M:%S', '%Y%m%d'
    ]) as date)
end
{%- endmacro %}

{#- Durations between two TIMESTAMPTZ values (NULL when either is NULL). -#}
{% macro minutes_between(start_expr, end_expr) -%}
({{ seconds_between(start_expr, end_expr) }} / 60.0)
{%- endmacro %}

{% macro hours_between(start_expr, end_expr) -%}
({{ seconds_between(start_expr, end_expr) }} / 3600.0)
{%- endmacro %}

{#- seconds_between(start_expr, end_expr): BIGINT, the second boundaries crossed from start to end (fractions of a
    second are dropped from each side, as date_diff('second', ...) counts). -#}
{% macro seconds_between(start_expr, end_expr) -%}
{{ return(adapter.dispatch('seconds_between')(start_expr, end_expr)) }}
{%- endmacro %}

{#- DuckDB's date_diff on TIMESTAMPTZ goes through the ICU calendar (about 0.2 s per million values); the same
    count from the epoch microseconds is ten times cheaper. -#}
{% macro duckdb__seconds_between(start_expr, end_expr) -%}
cast(fdiv(epoch_us({{ end_expr }}), 1000000) - fdiv(epoch_us({{ start_expr }}), 1000000) as bigint)
{%- endmacro %}

{% macro default__seconds_between(start_expr, end_expr) -%}
{{ dbt.datediff(start_expr, end_expr, 'second') }}
{%- endmacro %}

{#- lifecycle_in_order(columns): true when every timestamp present is not earlier than any earlier one
    present (NULLs are skipped, so a partial lifecycle can still be in order). Never NULL. -#}
{% macro lifecycle_in_order(columns) -%}
{%- if columns | length < 2 -%}
true
{%- else -%}
(
{%- for i in range(columns | length) -%}
    {%- for j in range(i + 1, columns | length) %}
    {% if not (i == 0 and j == 1) %}and {% endif %}coalesce({{ columns[i] }} <= {{ columns[j] }}, true)
    {%- endfor -%}
{%- endfor %}
)
{%- endif -%}
{%- endmacro %}

{#- has_implausible_dates(columns, partition_column, grain): true when a date or timestamp present lies outside
    the plausible window of its landed partition: from var plausible_days_before days before the partition's
    first day to var plausible_days_after days after its last day (a 2099 acceptance or a 1999 closing time in
    a 2026 delivery). Timestamps compare by their local date (the session time zone). Never NULL. -#}
{% macro has_implausible_dates(columns, partition_column, grain='day') -%}
{%- set days_before = var('plausible_days_before') | int -%}
{%- set days_after = var('plausible_days_after') | int -%}
{%- set first_day = "cast(" ~ partition_column ~ " as date)" -%}
{%- set earliest = dbt.dateadd('day', -days_before, first_day) -%}
{%- set after_last = dbt.dateadd('day', days_after, dbt.dateadd(grain, 1, first_day)) -%}
(
{%- for column in columns %}
    {% if not loop.first %}or {% endif %}coalesce(cast({{ column }} as date) < {{ earliest }} or cast({{ column }} as date) >= {{ after_last }}, false)
{%- endfor %}
)
{%- endmacro %}

{#- plausible_duration(duration, implausible_flag): the duration, or NULL when it is negative (an end before its
    start) or the record's dates are implausible: such values never enter an average. -#}
{% macro plausible_duration(duration, implausible_flag) -%}
case when not {{ implausible_flag }} and {{ duration }} >= 0 then {{ duration }} end
{%- endmacro %}

{#- date_by_formats(value, patterns): DATE of the text `value` by the first of `patterns` (strptime formats) that
    reads it; NULL when none does. -#}
{% macro date_by_formats(value, patterns) -%}
{{ return(adapter.dispatch('date_by_formats', 'citybrain')(value, patterns)) }}
{%- endmacro %}

{% macro default__date_by_formats(value, patterns) -%}
cast(try_strptime({{ value }}, {{ sql_text_list(patterns) }}) as date)
{%- endmacro %}

{#- DuckDB's try_strptime over a list pays about 1 µs for each format that fails before one reads the text (4 s on
    3.7M values mostly in the second or third format); the one format that reads it costs 0.1 µs. So a text of the
    exact shape of one of the leading plain formats (plain_date_format_shape) is read by the first such format
    alone; any other text, and one that format cannot read, by the whole list. That is exact while no earlier
    format reads the text: a format that is not plain (a lenient %-d) ends the leading run, and
    tests/dbt/test_date_formats.py checks every contract's plain formats against the whole list. A single format
    fails no other first: it keeps the plain reading. -#}
{% macro duckdb__date_by_formats(value, patterns) -%}
{%- set leading = namespace(plain=true, shapes=[]) -%}
{%- for pattern in patterns -%}
    {%- set shape = plain_date_format_shape(pattern) if leading.plain else none -%}
    {%- set leading.plain = shape is not none -%}
    {%- if leading.plain -%}
        {%- do leading.shapes.append((shape, pattern)) -%}
    {%- endif -%}
{%- endfor -%}
{%- if patterns | length > 1 and leading.shapes -%}
coalesce(
    case
    {%- for shape, pattern in leading.shapes %}
        when regexp_full_match({{ value }}, '{{ shape | replace("'", "''") }}')
            then cast(try_strptime({{ value }}, '{{ pattern | replace("'", "''") }}') as date)
    {%- endfor %}
    end,
    {{ default__date_by_formats(value, patterns) }}
)
{%- else -%}
{{ default__date_by_formats(value, patterns) }}
{%- endif -%}
{%- endmacro %}

{#- plain_date_format_shape(pattern): the regular expression of exactly the text a plain date format writes: one
    made of %Y (four digits), %m and %d (two digits) and fixed characters; none for a format with any other
    directive. -#}
{% macro plain_date_format_shape(pattern) -%}
{%- set directive_shapes = {'Y': '[0-9]{4}', 'm': '[0-9]{2}', 'd': '[0-9]{2}'} -%}
{%- set regex_special = '\\.^$|?*+()[]{}' -%}
{%- set walk = namespace(shape='', plain=true, in_directive=false) -%}
{%- for character in pattern -%}
    {%- if walk.in_directive -%}
        {%- set walk.plain = walk.plain and character in directive_shapes -%}
        {%- set walk.shape = walk.shape ~ directive_shapes.get(character, '') -%}
        {%- set walk.in_directive = false -%}
    {%- elif character == '%' -%}
        {%- set walk.in_directive = true -%}
    {%- else -%}
        {%- set walk.shape = walk.shape ~ ('\\' if character in regex_special else '') ~ character -%}
    {%- endif -%}
{%- endfor -%}
{{ return(walk.shape if walk.plain and not walk.in_directive else none) }}
{%- endmacro %}
