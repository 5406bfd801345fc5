"""dbt's agate tables in the pipeline's dbt processes (pipelines/dbt_launcher/agate_type_testers.py) reuse one type
tester per set of text-only columns, and come out as dbt builds them: the same column types and values."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from dbt_common.clients import agate_helper

sys.path.insert(0, str(Path(__file__).parents[2] / "pipelines" / "dbt_launcher"))  # as the launcher imports it
import agate_type_testers  # noqa: E402

# a statement's rows as dbt's cursor gives them: numbers, dates as text, the text 'null' and '' in a text column
# (kept as text) and in a number column (read as null), a container (written as JSON text)
RESULTS = [
    ([{"n": 1, "x": 1.5, "d": "2027-01-03", "t": "null", "j": [1, 2]},
      {"n": None, "x": 2.0, "d": "2027-01-04", "t": "", "j": {"a": 1}}], ["n", "x", "d", "t", "j"]),
    ([{"n": "null", "d": date(2027, 1, 5), "t": "甲"}, {"n": "7", "d": None, "t": "null"}], ["n", "d", "t"]),
    ([{"flag": "true", "label": ""}, {"flag": "false", "label": "null"}], ["flag", "label"]),
]


def described(table) -> tuple:
    return ([(type(column).__name__, getattr(column, "null_values", None)) for column in table.column_types],
            [tuple(row) for row in table.rows])


@pytest.fixture(scope="module")
def as_dbt_builds():
    """The tables as dbt's own helpers build them, then the helpers patched."""
    expected = [described(agate_helper.table_from_data_flat(rows, columns)) for rows, columns in RESULTS]
    empty = described(agate_helper.empty_table())
    agate_type_testers.install()
    return expected, empty


def test_the_tables_come_out_as_dbt_builds_them(as_dbt_builds):
    expected, empty = as_dbt_builds
    for _ in range(2):  # the second round from the testers the first one kept
        assert [described(agate_helper.table_from_data_flat(rows, columns)) for rows, columns in RESULTS] == expected
    assert described(agate_helper.empty_table()) == empty == ([], [])


def test_one_tester_per_set_of_text_columns(as_dbt_builds):
    assert agate_helper.build_type_tester(["a", "b"], ()) is agate_helper.build_type_tester(("b", "a"), ())
    assert agate_helper.build_type_tester(["a"], ()) is not agate_helper.build_type_tester(["a"], ("null", ""))
    agate_type_testers.install()  # a second install keeps the first patch
    assert agate_helper.build_type_tester(["a"], ()) is agate_helper.build_type_tester(["a"], ())
