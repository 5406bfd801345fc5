"""Run the Great Expectations suites of `expectations/*.json` against the DuckDB warehouse.

A suite is a GX 1.x ExpectationSuite serialization whose top-level `meta` says what to validate:

    "meta": {"target": {"kind": "landing", "source": "hotline_12345"}        (landed Parquet of a source)
                   or {"kind": "relation", "relation": "marts.fct_service_request"},
             "asset_key": ["landing", "hotline_12345"],
             "key_column": "work_order_id",          (record key)
             "window_column": "partition_key",       (optional: rows of a time window)
             "window_grain": "day" | "week" | "month"}

and every expectation carries `meta.severity` = "error" or "warn".

Why the runner is built this way:
- Checks run inside the engine: GX on pandas turned every batch into a DataFrame (a daily mart suite took minutes
  over a long demo), and GX 1.x's SQL datasource returns empty results against DuckDB. So each expectation is
  computed as SQL aggregates in DuckDB (`sql_expectations.py`: one scan per suite, with GX's meaning of missing and
  unexpected rows) and reported in GX's result format (`gx_result`); GX stays the vocabulary of the suites, checks
  their kwargs (`gx_suite`) and renders data docs from results in its format.
- Only column map expectations (which report per-row unexpected counts) are supported; others are refused.
- Contract values: `{"$CONTRACT": "source.column.format"}` is that column's `format` in `contracts/<source>.yaml`
  (for example the strftime format a timestamp is delivered in), so a suite never repeats the contract.
- Suite parameters: `{"$PARAMETER": "schema.table.column"}` is the set of distinct values of that seed column in
  the warehouse (a list of such references: the union of their values), so no code list is written in a suite. GX parameter names cannot contain dots, so they are
  handed to GX as `schema__table__column`. A column compared with a seed set is compared as text on both sides:
  landed values are text, and a seed column that dbt typed as a number must still match.
"""

from __future__ import annotations

import calendar
import copy
import functools
import json
import re
from collections.abc import Sequence
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

SAMPLE_SIZE = 5
SAMPLE_SCAN = 100  # failing rows read to find SAMPLE_SIZE distinct unexpected values
SEVERITIES = ("error", "warn")
WINDOW_GRAINS = ("day", "week", "month")
SUPPORTED_TYPES = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_strftime_format",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
        "expect_compound_columns_to_be_unique",
    }
)
COLUMN_KWARGS = ("column", "column_A", "column_B")
PARAMETER_KEY = "$PARAMETER"
CONTRACT_KEY = "$CONTRACT"
_SEED_REFERENCE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Suite:
    """A suite file, checked and parsed."""

    name: str
    target_kind: str  # "landing" or "relation"
    target: str  # source name, or "schema.table"
    asset_key: tuple[str, ...]
    key_column: str
    window_column: str | None
    window_grain: str | None
    expectations: tuple[dict[str, Any], ...]

    @property
    def has_error_expectations(self) -> bool:
        return any(severity_of(expectation) == "error" for expectation in self.expectations)


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


# ---------------------------------------------------------------------------------------------- suites


def severity_of(expectation: dict[str, Any]) -> str:
    return expectation.get("meta", {}).get("severity", "")


def expectation_columns(expectation: dict[str, Any]) -> tuple[str, ...]:
    kwargs = expectation["kwargs"]
    return tuple(kwargs[key] for key in COLUMN_KWARGS if key in kwargs) + tuple(kwargs.get("column_list", ()))


def _references(parameter: str | list[str]) -> list[str]:
    return [parameter] if isinstance(parameter, str) else list(parameter)


def seed_references(expectation: dict[str, Any]) -> list[str]:
    return [
        reference
        for value in expectation["kwargs"].values()
        if isinstance(value, dict) and PARAMETER_KEY in value
        for reference in _references(value[PARAMETER_KEY])
    ]


def contract_references(expectation: dict[str, Any]) -> list[str]:
    return [
        value[CONTRACT_KEY]
        for value in expectation["kwargs"].values()
        if isinstance(value, dict) and CONTRACT_KEY in value
    ]


def contract_value(reference: str) -> Any:
    """`source.column.key` → that key of the column in the source's contract (ValueError when there is none)."""
    from pipelines.ingestion.contracts import load_contracts

    parts = reference.split(".")
    contract = load_contracts().get(parts[0]) if len(parts) == 3 else None
    column = next((c for c in contract.columns if c.name == parts[1]), None) if contract else None
    value = getattr(column, parts[2], None) if column else None
    if value is None:
        raise ValueError(f"$CONTRACT {reference!r} names no value of a contract column (source.column.key)")
    return value


@functools.cache
def load_suites() -> dict[str, Suite]:
    """Every suite by name (read once per process): each contract's landing suite, derived from the contract and
    completed by `expectations/<source>.json` when that file targets the source's landing, and the suites of
    `settings.EXPECTATIONS_DIR`."""
    from pipelines.derived.landing_suites import landing_suite_document
    from pipelines.ingestion.contracts import load_contracts

    documents = {path: json.loads(path.read_text(encoding="utf-8"))
                 for path in sorted(Path(settings.EXPECTATIONS_DIR).glob("*.json"))}
    suites = []
    for contract in load_contracts().values():
        supplement = next(((path, document) for path, document in documents.items()
                           if document["meta"]["target"] == {"kind": "landing", "source": contract.source}), None)
        if supplement:
            del documents[supplement[0]]
        document = landing_suite_document(contract, settings.DBT_PROJECT_DIR / "seeds",
                                          supplement[1] if supplement else None)
        suites.append(parse_suite_document(document, f"contracts/{contract.path.name}"))
    suites += [parse_suite_document(document, path.name) for path, document in documents.items()]
    return {suite.name: suite for suite in suites}


def suites_for_asset(asset_key: Sequence[str]) -> list[str]:
    """Names of the suites that validate the asset with this key path."""
    return [suite.name for suite in load_suites().values() if suite.asset_key == tuple(asset_key)]


def parse_suite(path: Path) -> Suite:
    return parse_suite_document(json.loads(path.read_text(encoding="utf-8")), path.name)


def parse_suite_document(document: dict[str, Any], label: str) -> Suite:
    meta = document["meta"]
    target = meta["target"]
    suite = Suite(
        name=document["name"],
        target_kind=target["kind"],
        target=target["source"] if target["kind"] == "landing" else target["relation"],
        asset_key=tuple(meta["asset_key"]),
        key_column=meta["key_column"],
        window_column=meta.get("window_column"),
        window_grain=meta.get("window_grain"),
        expectations=tuple(document["expectations"]),
    )
    problems = _suite_problems(suite)
    if problems:
        raise ValueError(f"Suite {label}: " + "; ".join(problems))
    return suite


def _suite_problems(suite: Suite) -> list[str]:
    problems = []
    if suite.target_kind not in ("landing", "relation"):
        problems.append(f"target kind {suite.target_kind!r} is neither 'landing' nor 'relation'")
    if suite.window_column and suite.window_grain not in WINDOW_GRAINS:
        problems.append(f"window_grain must be one of {WINDOW_GRAINS}")
    for position, expectation in enumerate(suite.expectations):
        label = f"expectation {position} ({expectation['type']})"
        if expectation["type"] not in SUPPORTED_TYPES:
            problems.append(f"{label} is not a column map expectation the runner computes in SQL")
        if severity_of(expectation) not in SEVERITIES:
            problems.append(f"{label} needs meta.severity in {SEVERITIES}")
        problems += [
            f"{label}: $PARAMETER {reference!r} is not schema.table.column"
            for reference in seed_references(expectation)
            if not _SEED_REFERENCE.match(reference)
        ]
        for reference in contract_references(expectation):
            try:
                contract_value(reference)
            except ValueError as error:
                problems.append(f"{label}: {error}")
    return problems


# ---------------------------------------------------------------------------------------------- running


def run_suite(
    connection: duckdb.DuckDBPyConnection,
    suite_name: str | Suite,
    window: tuple[date, date] | None = None,
) -> SuiteOutcome:
    """Validate the suite's target: the rows of `window` (dates inclusive) or, without a window or without a
    window column in the suite (dimensions), all rows. `suite_name` may also be a parsed suite.

    The whole suite is one scan in DuckDB: per expectation its element, missing and unexpected counts are
    aggregates (`sql_expectations`), and only a failing expectation reads a few of its unexpected values."""
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
    sqls = [expectation_sql(position, _with_contract_values(expectation), value_sets)
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
    values = connection.execute(
        f"SELECT {sql.sample} FROM {rows} WHERE NOT ({sql.missing}) AND ({sql.unexpected}) LIMIT {SAMPLE_SCAN}",
        parameters).fetchall()
    return tuple(dict.fromkeys(_sample_text(value) for (value,) in values))[:SAMPLE_SIZE]


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


def _with_contract_values(expectation: dict[str, Any]) -> dict[str, Any]:
    """The expectation with each `$CONTRACT` reference replaced by the contract's value."""
    kwargs = {name: contract_value(value[CONTRACT_KEY]) if isinstance(value, dict) and CONTRACT_KEY in value
              else value for name, value in expectation["kwargs"].items()}
    return {**expectation, "kwargs": kwargs}


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


def _gx_parameter_name(parameter: str | list[str]) -> str:
    return "__or__".join(reference.replace(".", "__") for reference in _references(parameter))


def gx_suite(suite: Suite):
    """The suite as a GX ExpectationSuite (GX's vocabulary and checks of the kwargs; data docs render it), with
    seed parameters named as GX can parse them and contract values filled in."""
    import great_expectations as gx  # imported here: it takes seconds, and the pipeline's checks do not need it

    expectations = []
    for expectation in suite.expectations:
        expectation = copy.deepcopy(_with_contract_values(expectation))
        for value in expectation["kwargs"].values():
            if isinstance(value, dict) and PARAMETER_KEY in value:
                value[PARAMETER_KEY] = _gx_parameter_name(value[PARAMETER_KEY])
        expectations.append(expectation)
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)


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
