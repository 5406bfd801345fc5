"""date_by_formats (dbt_project/macros/timestamps.sql): DuckDB's fast path reads a date exactly as the whole format
list does, `try_strptime(text, [formats])` (the default, the reading before the fast path).

One `dbt compile --inline` renders both readings for every date column's contract formats and for lists made to
trip the fast path (two plain formats with one shape, a non-plain format that reads a later plain format's text);
DuckDB runs them on the text every plain format of a list writes for each date of the chosen years and for every
month 00..99 x day 00..99 of a few years (0000, century and leap years, 9999). The years are a sample that keeps
the test quick; CITYBRAIN_TEST_ALL_DATE_YEARS=1 takes every year 0001..9999 (3.5 min, 6 GB of memory).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import duckdb
import pytest

from tests.dbt.inline_sql import compile_inline

TRIP_LISTS = [
    ["%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d"],
    ["%Y%m%d", "%d%m%Y", "%Y.%m.%d", "%d.%m.%Y"],
    ["%-d/%-m/%Y", "%m/%d/%Y"],
    ["%Y年%m月%d日", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d"],
]

# The text each format writes for every date part (a format with another directive writes none); per list, for
# the texts of its formats: the fast reading, the reading by the whole list, and whether the shape of the text's own format matches
# it (NULL for a format that is not plain).
INLINE_SQL = """
{%- set format_lists = TRIP_LISTS -%}
{%- for contract in source_contracts().values() -%}
    {%- for column in contract.columns if column.type == 'date' -%}
        {%- set patterns = column.formats | reject('equalto', 'excel_date') | list -%}
        {%- if patterns not in format_lists -%}{%- do format_lists.append(patterns) -%}{%- endif -%}
    {%- endfor -%}
{%- endfor -%}
{%- set all_formats = [] -%}
{%- for patterns in format_lists -%}
    {%- for pattern in patterns if pattern not in all_formats -%}{%- do all_formats.append(pattern) -%}{%- endfor -%}
{%- endfor -%}
create table written as
select * from (
    select format, replace(replace(replace(format, '%Y', lpad(cast(y as varchar), 4, '0')),
        '%m', lpad(cast(m as varchar), 2, '0')), '%d', lpad(cast(d as varchar), 2, '0')) as text
    from date_parts, unnest({{ sql_text_list(all_formats) }}) as formats(format)
)
where not contains(text, '%');
create table readings as
{%- for patterns in format_lists %}
{% if not loop.first %}union all{% endif %}
select
    '{{ patterns | join('|') }}' as formats,
    format,
    text,
    {{ date_by_formats('text', patterns) }} as fast,
    {{ default__date_by_formats('text', patterns) }} as whole_list,
    case format
    {%- for pattern in patterns if plain_date_format_shape(pattern) is not none %}
        when '{{ pattern }}' then regexp_full_match(text, '{{ plain_date_format_shape(pattern) }}')
    {%- endfor %}
    end as shape_matched
from written
where list_contains({{ sql_text_list(patterns) }}, format)
{%- endfor %}
""".replace("TRIP_LISTS", repr(TRIP_LISTS))

SAMPLED_YEARS = sorted({*range(1, 10000, 97), 1, 2, 3, 4, 99, 100, 101, 999, 1000, 1582, 1899, 1900, 1901, 1999,
                        2000, 2001, 2023, 2024, 2025, 2026, 2100, 2400, 9998, 9999})
GRID_YEARS = [0, 1, 1900, 2000, 2024, 2026, 9999]


@pytest.fixture(scope="module")
def readings() -> Iterator[duckdb.DuckDBPyConnection]:
    compiled = compile_inline(INLINE_SQL)
    years = range(1, 10000) if os.environ.get("CITYBRAIN_TEST_ALL_DATE_YEARS") == "1" else SAMPLED_YEARS
    con = duckdb.connect()
    con.execute("""
        create table date_parts as
        select year(day) as y, month(day) as m, day(day) as d
        from range(date '0001-01-01', date '9999-12-31' + 1, interval 1 day) as days(day)
        where year(day) in (select unnest(?::integer[]))
        union all
        select y, m, d from unnest(?::integer[]) as years(y), range(100) as months(m), range(100) as days(d)
    """, [list(years), GRID_YEARS])
    con.execute(compiled)
    yield con
    con.close()


def test_fast_path_reads_every_text_as_the_whole_list(readings: duckdb.DuckDBPyConnection) -> None:
    differences = readings.execute("""
        select formats, format, text, fast, whole_list from readings
        where fast is distinct from whole_list order by all limit 10
    """).fetchall()
    assert differences == []
    (dates_read,) = readings.execute("select count(whole_list) from readings").fetchone()
    assert dates_read > 0


def test_every_text_of_a_plain_format_has_its_shape(readings: duckdb.DuckDBPyConnection) -> None:
    """So the fast path takes every such text (a shape that missed would only cost time, not change a date)."""
    shapes = dict(readings.execute("""
        select format, bool_and(shape_matched) from readings group by format having count(shape_matched) > 0
    """).fetchall())
    assert set(shapes.values()) == {True}
    assert {"%Y-%m-%d", "%Y年%m月%d日", "%Y.%m.%d", "%d%m%Y"} <= shapes.keys()
    assert "%-d/%-m/%Y" not in shapes
