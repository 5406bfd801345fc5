"""GX column map expectations as DuckDB SQL: each one is a condition for "missing" rows (not evaluated) and one for
"unexpected" rows (evaluated and failing), so a whole suite is counted by one aggregate query in the engine, with the
meaning GX gives the expectation on pandas (tests/quality/test_sql_expectations.py compares the two on the same rows).

Uniqueness needs each value's number of rows: the runner adds a window count per uniqueness expectation to its
scan (`uniqueness_counts`), and the unexpected condition reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNIQUENESS_TYPES = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})


@dataclass(frozen=True)
class ExpectationSql:
    missing: str  # rows GX leaves out of the evaluation (their count is GX's missing_count)
    unexpected: str  # rows among the evaluated ones that fail
    sample: str  # the value(s) of a failing row, as GX lists them in partial_unexpected_list


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _text(column: str) -> str:
    return f"CAST({quote(column)} AS VARCHAR)"


def _value_list(values: list[Any]) -> str:
    return "(" + ", ".join(literal(value) for value in values) + ")" if values else "(NULL)"


def _value_set(values: list[str]) -> str:
    """A seed column's values as a subquery to look a value up in: DuckDB hashes it (a mark join), where it compares
    a value with an IN list's literals one by one (a grid code among the city's ~3,600 grid codes and names over a
    year of grid events: 0.15 CPU-s instead of 2.7)."""
    return "(SELECT unnest([" + ", ".join(literal(value) for value in values) + "]))" if values else "(NULL)"


def uniqueness_count_column(position: int) -> str:
    return f"_unique_count_{position}"


def uniqueness_counts(expectations: tuple[dict[str, Any], ...]) -> list[str]:
    """The window counts the scan adds: per uniqueness expectation, the rows of each (non-missing) value."""
    counts = []
    for position, expectation in enumerate(expectations):
        if expectation["type"] in UNIQUENESS_TYPES:
            columns = expectation["kwargs"].get("column_list") or [expectation["kwargs"]["column"]]
            partition = ", ".join(quote(column) for column in columns)
            counts.append(f"count(*) OVER (PARTITION BY {partition}) AS {uniqueness_count_column(position)}")
    return counts


def expectation_sql(position: int, expectation: dict[str, Any], value_sets: dict[int, list[str]]) -> ExpectationSql:
    """The SQL of the expectation at `position` of its suite; `value_sets` holds the resolved seed parameter of an
    expectation (by position), compared as text."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    column = kwargs.get("column")
    if kind == "expect_compound_columns_to_be_unique":
        columns = kwargs["column_list"]
        # GX's default ignore_row_if for compound columns: a row is left out when all its values are missing
        missing = " AND ".join(f"{quote(c)} IS NULL" for c in columns)
        sample = "struct_pack(" + ", ".join(f"{quote(c)} := {quote(c)}" for c in columns) + ")"
        return ExpectationSql(missing, f"{uniqueness_count_column(position)} > 1", sample)
    if kind.startswith("expect_column_pair_"):
        a, b = quote(kwargs["column_A"]), quote(kwargs["column_B"])
        ignore = kwargs.get("ignore_row_if", "both_values_are_missing")
        joiner = {"both_values_are_missing": " AND ", "either_value_is_missing": " OR "}.get(ignore)
        missing = f"({a} IS NULL{joiner}{b} IS NULL)" if joiner else "FALSE"
        if kind == "expect_column_pair_values_to_be_equal":
            unexpected = f"{a} IS DISTINCT FROM {b}"
        else:
            operator = ">=" if kwargs.get("or_equal") else ">"
            unexpected = f"NOT coalesce({a} {operator} {b}, FALSE)"
        return ExpectationSql(missing, unexpected, f"[{_text(kwargs['column_A'])}, {_text(kwargs['column_B'])}]")

    name = quote(column)
    if kind == "expect_column_values_to_not_be_null":
        return ExpectationSql("FALSE", f"{name} IS NULL", name)
    missing = f"{name} IS NULL"
    if kind == "expect_column_values_to_be_unique":
        unexpected = f"{uniqueness_count_column(position)} > 1"
    elif kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        if position in value_sets:
            found = f"{_text(column)} IN {_value_set(value_sets[position])}"
        else:
            found = f"{name} IN {_value_list(list(kwargs['value_set']))}"
        unexpected = f"NOT coalesce({found}, FALSE)" if kind.endswith("_be_in_set") else f"coalesce({found}, FALSE)"
    elif kind in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        matches = f"regexp_matches({_text(column)}, {literal(kwargs['regex'])})"
        unexpected = matches if "_not_match_" in kind else f"NOT {matches}"
    elif kind == "expect_column_values_to_match_strftime_format":
        unexpected = f"try_strptime({_text(column)}, {literal(kwargs['strftime_format'])}) IS NULL"
    elif kind == "expect_column_values_to_be_between":
        unexpected = "NOT (" + _between(name, kwargs) + ")"
    else:
        raise ValueError(f"no SQL for expectation type {kind}")
    return ExpectationSql(missing, unexpected, name)


def _between(name: str, kwargs: dict[str, Any]) -> str:
    bounds = []
    if kwargs.get("min_value") is not None:
        bounds.append(f"{name} {'>' if kwargs.get('strict_min') else '>='} {literal(kwargs['min_value'])}")
    if kwargs.get("max_value") is not None:
        bounds.append(f"{name} {'<' if kwargs.get('strict_max') else '<='} {literal(kwargs['max_value'])}")
    return " AND ".join(bounds) or "TRUE"
