"""Run a Great Expectations suite (`suites.py`: what a suite says) against the DuckDB warehouse.

Why the runner is built this way:
- Checks run inside the engine: GX on pandas turned every batch into a DataFrame (a daily mart suite took minutes
  over a long demo), and GX 1.x's SQL datasource returns empty results against DuckDB. So each expectation is
  computed as SQL aggregates in DuckDB (`sql_expectations.py`: one scan per suite, with GX's meaning of missing and
  unexpected rows) and reported in GX's result format (`gx_result`); GX stays the vocabulary of the suites, checks
  their kwargs (`suites.gx_suite`) and renders data docs from results in its format.
- A suite parameter (`$PARAMETER`, a seed column) is read from the warehouse when the suite runs. A column
  compared with a seed set is compared as text on both sides: landed values are text, and a seed column that dbt
  typed as a number must still match.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipelines import settings
from pipelines.quality.sql_expectations import (
    ExpectationSql,
    expectation_sql,
    literal,
    quote,
    uniqueness_counts,
)
from pipelines.quality.suites import (
    Suite,
    expectation_columns,
    load_suites,
    seed_references,
    severity_of,
    with_contract_values,
)

SAMPLE_SIZE = 5  # distinct unexpected values a failing expectation reports, the smallest ones


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation_type: str
    columns: tuple[str, ...]
    severity: str
    success: bool
    unexpected_count: int
    element_count: int
    missing_count: int
    unexpected_percent: float  # of the non-missing values, as GX reports it
    mostly: float
    sample_unexpected: tuple[str, ...]


@dataclass(frozen=True)
class SuiteOutcome:
    suite_name: str
    target: str
    window: tuple[date, date] | None
    row_count: int
    expectations: tuple[ExpectationOutcome, ...]
    no_data_reason: str | None = None  # set when there was nothing to validate at all

    @property
    def error_failures(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.expectations if not outcome.success and outcome.severity == "error"]

    @property
    def warn_failures(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.expectations if not outcome.success and outcome.severity == "warn"]

    @property
    def success(self) -> bool:
        return self.no_data_reason is None and all(outcome.success for outcome in self.expectations)


def run_suite(
    connection: duckdb.DuckDBPyConnection,
    suite_name: str | Suite,
    window: tuple[date, date] | None = None,
) -> SuiteOutcome:
    """Validate the suite's target: the rows of `window` (dates inclusive) or, without a window or without a
    window column in the suite (dimensions), all rows. `suite_name` may also be a parsed suite.

    The whole suite is one scan in DuckDB: per expectation its element, missing and unexpected counts are
    aggregates (`sql_expectations`), and only a failing expectation reads its unexpected rows again, for a sample."""
    suite = suite_name if isinstance(suite_name, Suite) else load_suites()[suite_name]
    window = window if suite.window_column else None
    source, missing_reason = _source(connection, suite, window)
    if missing_reason:
        return SuiteOutcome(suite.name, _target_label(suite), window, 0, (), no_data_reason=missing_reason)
    if source is None:  # no landed partition in the window: no row to validate, nothing to read
        return SuiteOutcome(suite.name, _target_label(suite), window, 0,
                            tuple(_outcome(expectation, 0, 0, 0, ()) for expectation in suite.expectations))

    conditions, parameters = _window_conditions(suite, window)
    value_sets = _resolve_seed_values(connection, suite)
    sqls = [expectation_sql(position, with_contract_values(expectation), value_sets)
            for position, expectation in enumerate(suite.expectations)]
    # one check at two thresholds (a landing suite's broken-format ERROR and its format WARN) is counted once
    checks = list(dict.fromkeys((sql.missing, sql.unexpected) for sql in sqls))
    counts = [f"count(*) FILTER (WHERE NOT ({missing})) AS evaluated_{n}, "
              f"count(*) FILTER (WHERE NOT ({missing}) AND ({unexpected})) AS unexpected_{n}"
              for n, (missing, unexpected) in enumerate(checks)]
    rows = _scan(suite, source, conditions)
    totals = connection.execute(f"SELECT count(*), {', '.join(counts)} FROM {rows}", parameters).fetchone() \
        if sqls else connection.execute(f"SELECT count(*) FROM {rows}", parameters).fetchone()
    row_count, outcomes, samples_of = totals[0], [], {}
    for expectation, sql in zip(suite.expectations, sqls):
        n = checks.index((sql.missing, sql.unexpected))
        evaluated, unexpected = totals[1 + 2 * n], totals[2 + 2 * n]
        if unexpected and n not in samples_of:
            samples_of[n] = _samples(connection, rows, sql, parameters)
        outcomes.append(_outcome(expectation, row_count, row_count - evaluated, unexpected, samples_of.get(n, ())))
    return SuiteOutcome(suite.name, _target_label(suite), window, row_count, tuple(outcomes))


def _scan(suite: Suite, source: str, conditions: list[str]) -> str:
    """The rows the suite validates, with the window counts its uniqueness expectations need."""
    extra = uniqueness_counts(suite.expectations)
    return f"(SELECT *{''.join(', ' + count for count in extra)} FROM {source}{_where(conditions)}) AS validated"


def _samples(connection: duckdb.DuckDBPyConnection, rows: str, sql: ExpectationSql, parameters: list[date]
             ) -> tuple[str, ...]:
    """The smallest distinct unexpected values: the same sample however the rows are stored or scanned (the first
    failing rows met would depend on the order of landed files, row groups and threads)."""
    values = connection.execute(
        f"SELECT DISTINCT {sql.sample} AS sample FROM {rows} WHERE NOT ({sql.missing}) AND ({sql.unexpected}) "
        f"ORDER BY sample LIMIT {SAMPLE_SIZE}",
        parameters).fetchall()
    return tuple(dict.fromkeys(_sample_text(value) for (value,) in values))


def _outcome(expectation: dict[str, Any], element_count: int, missing_count: int, unexpected_count: int,
             samples: tuple[str, ...]) -> ExpectationOutcome:
    """GX's verdict from the counts: success when the evaluated rows' share of expected ones reaches `mostly`."""
    evaluated = element_count - missing_count
    mostly = float(expectation["kwargs"].get("mostly", 1.0))
    return ExpectationOutcome(
        expectation_type=expectation["type"],
        columns=expectation_columns(expectation),
        severity=severity_of(expectation),
        success=evaluated == 0 or (evaluated - unexpected_count) / evaluated >= mostly,
        unexpected_count=unexpected_count,
        element_count=element_count,
        missing_count=missing_count,
        unexpected_percent=100.0 * unexpected_count / evaluated if evaluated else 0.0,
        mostly=mostly,
        sample_unexpected=samples,
    )


def _target_label(suite: Suite) -> str:
    return f"landing/{suite.target}" if suite.target_kind == "landing" else suite.target


def _source(connection: duckdb.DuckDBPyConnection, suite: Suite, window: tuple[date, date] | None = None
            ) -> tuple[str | None, str | None]:
    """The FROM clause of the target, or why there is nothing to read; no FROM clause (None) for a landing window
    that holds no landed partition."""
    if suite.target_kind == "landing":
        folder = settings.landing_dir() / suite.target
        if not any(folder.glob("*/*.parquet")):
            return "", f"No landed Parquet for source {suite.target!r} under {folder}: nothing was validated."
        if window is None:
            files = [folder / "*" / "*.parquet"]
        else:
            files = _landed_files_of_window(folder, suite.window_column, *_window_bounds(suite, window))
            if not files:
                return None, None
        paths = ", ".join(literal(path.as_posix()) for path in files)
        # landing keeps one schema per source (pipelines/ingestion/landed_schema.py)
        return f"read_parquet([{paths}], hive_partitioning = true)", None
    schema, table = suite.target.split(".")
    exists = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchone()[0]
    if not exists:
        return "", f"Relation {suite.target} does not exist in the warehouse (not built yet?): nothing was validated."
    return f"{quote(schema)}.{quote(table)}", None


def _window_bounds(suite: Suite, window: tuple[date, date]) -> tuple[date, date]:
    start, end = window
    if suite.window_grain == "month":  # a monthly source is validated for whole months
        start = start.replace(day=1)
        end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    elif suite.window_grain == "week":  # a weekly source for whole ISO weeks, Monday to Sunday
        start = start - timedelta(days=start.weekday())
        end = end + timedelta(days=6 - end.weekday())
    return start, end


def _window_conditions(suite: Suite, window: tuple[date, date] | None) -> tuple[list[str], list[date]]:
    if window is None:
        return [], []
    return [f"CAST({quote(suite.window_column)} AS DATE) BETWEEN ? AND ?"], list(_window_bounds(suite, window))


def _landed_files_of_window(folder: Path, window_column: str, start: date, end: date) -> list[Path]:
    """The landed files a window's rows can come from: those of the partition folders (`partition_key=<date>`) in
    the window, and of any folder not named so (the window's condition still decides), so a day's check reads
    one partition's file, not the footers of the source's whole history."""
    files = []
    for partition in sorted(folder.iterdir()):
        name, _, value = partition.name.partition("=")
        try:
            outside = name == window_column and not start <= date.fromisoformat(value) <= end
        except ValueError:
            outside = False
        if partition.is_dir() and not outside:
            files += sorted(partition.glob("*.parquet"))
    return files


def _where(conditions: list[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _resolve_seed_values(connection: duckdb.DuckDBPyConnection, suite: Suite) -> dict[int, list[str]]:
    """Per expectation (by position) with a seed parameter (a `schema.table.column` or a list of them): the
    distinct values of those seed columns, as text."""
    values = {}
    for position, expectation in enumerate(suite.expectations):
        references = seed_references(expectation)
        if not references:
            continue
        selects = []
        for reference in references:
            schema, table, column = reference.split(".")
            selects.append(f"SELECT CAST({quote(column)} AS VARCHAR) AS v FROM {quote(schema)}.{quote(table)} "
                           f"WHERE {quote(column)} IS NOT NULL")
        rows = connection.execute(f"SELECT DISTINCT v FROM ({' UNION ALL '.join(selects)}) ORDER BY 1").fetchall()
        values[position] = [row[0] for row in rows]
    return values


def gx_result(outcome: ExpectationOutcome) -> dict[str, Any]:
    """An outcome's counts in GX's BASIC result format (the `result` of an ExpectationValidationResult)."""
    return {
        "element_count": outcome.element_count,
        "missing_count": outcome.missing_count,
        "missing_percent": 100.0 * outcome.missing_count / outcome.element_count if outcome.element_count else None,
        "unexpected_count": outcome.unexpected_count,
        "unexpected_percent": outcome.unexpected_percent,
        "partial_unexpected_list": list(outcome.sample_unexpected),
    }


def _sample_text(value: Any) -> str:
    """A sample as an engineer reads it: pairs as `a / b`, compound keys as `k=v, …`, NULL for missing values."""
    if isinstance(value, (tuple, list)):
        return " / ".join(_sample_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}={_sample_text(item)}" for key, item in value.items())
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
