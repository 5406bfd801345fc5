"""dbt's agate tables take their type testers from a cache, in the pipeline's dbt processes.

dbt turns the result of every statement it runs into an agate table (dbt_common.clients.agate_helper):
- a fetched result through `build_type_tester`, which builds seven agate data types anew each time (the date and
  time types set up a date parser's locale constants): ~0.7 ms;
- a result it does not fetch through `empty_table`, whose table builds agate's default type tester: ~0.5 ms.
A nine-department day's dbt process runs ~400 statements, a full build four times as many. A type tester only keeps
its settings (its `run` reads them and builds the column types of each table), so one tester per set of text-only
columns serves every table, with the same column types and values.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import agate
from dbt_common.clients import agate_helper

_PATCHED = "_citybrain_cached_type_testers"


def install() -> None:
    """Patch dbt's agate helpers once per process."""
    if getattr(agate_helper.build_type_tester, _PATCHED, False):
        return
    build = agate_helper.build_type_tester

    @functools.lru_cache(maxsize=256)
    def cached(text_columns: frozenset[str], string_null_values: tuple[str, ...] | None) -> agate.TypeTester:
        return build(text_columns, string_null_values=string_null_values)

    def build_type_tester(text_columns: Iterable[str],
                          string_null_values: Iterable[str] | None = ("null", "")) -> agate.TypeTester:
        return cached(frozenset(text_columns), None if string_null_values is None else tuple(string_null_values))

    empty_tester = agate.TypeTester()

    def empty_table() -> agate.Table:
        return agate.Table(rows=[], column_types=empty_tester)

    for patched in (build_type_tester, empty_table):
        setattr(patched, _PATCHED, True)
    agate_helper.build_type_tester = build_type_tester
    agate_helper.empty_table = empty_table
