"""Run the Great Expectations suites of `expectations/*.json` against the DuckDB warehouse.

A suite is a GX 1.x ExpectationSuite serialization whose top-level `meta` says what to validate:

    "meta": {"target": {"kind": "landing", "source": "hotline_12345"}        (landed Parquet of a source)
                   or {"kind": "relation", "relation": "marts.fct_service_request"},
             "asset_key": ["landing", "hotline_12345"],
             "key_column": "work_order_id",          (record key: splits the rows into batches)
             "window_column": "partition_key",       (optional: rows of a time window)
             "window_grain": "day" | "week" | "month"}

and every expectation carries `meta.severity` = "error" or "warn".

Why the runner is built this way:
- GX's SQL datasource returns empty results against DuckDB, so the runner selects the referenced columns with
  DuckDB itself and validates pandas DataFrames with one cached ephemeral GX context.
- Memory stays bounded: the rows are split into n batches by `hash(key_column) % n`, with n chosen so that a batch
  holds at most `batch_rows` rows. Per expectation the counts of all batches are added up and success is decided
  again from the totals against `mostly`. All rows of one key fall into the same batch, so uniqueness of the key
  is exact across batches; a suite may therefore only ask uniqueness of (a column list holding) its key column.
- Only column map expectations (which report per-row unexpected counts) can be added up; others are refused.
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
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pipelines import settings

BATCH_ROWS = 250_000
SAMPLE_SIZE = 5
SEVERITIES = ("error", "warn")
WINDOW_GRAINS = ("day", "week", "month")
AGGREGATABLE_TYPES = frozenset(
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
UNIQUENESS_TYPES = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})
COLUMN_KWARGS = ("column", "column_A", "column_B")
PARAMETER_KEY = "$PARAMETER"
CONTRACT_KEY = "$CONTRACT"
_SEED_REFERENCE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
_POSITION = "_position"  # meta key that ties a GX result back to its expectation (GX reorders results)


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
    batch_count: int
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
        if expectation["type"] not in AGGREGATABLE_TYPES:
            problems.append(f"{label} is not a column map expectation the runner can add up over batches")
        if severity_of(expectation) not in SEVERITIES:
            problems.append(f"{label} needs meta.severity in {SEVERITIES}")
        if expectation["type"] in UNIQUENESS_TYPES and suite.key_column not in expectation_columns(expectation):
            problems.append(f"{label} asks uniqueness without the key column, which batching cannot check")
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
    batch_rows: int = BATCH_ROWS,
) -> SuiteOutcome:
    """Validate the suite's target: the rows of `window` (dates inclusive) or, without a window or without a
    window column in the suite (dimensions), all rows. `suite_name` may also be a parsed suite."""
    suite = suite_name if isinstance(suite_name, Suite) else load_suites()[suite_name]
    source, missing_reason = _source(connection, suite)
    window = window if suite.window_column else None
    if missing_reason:
        return SuiteOutcome(suite.name, _target_label(suite), window, 0, 0, (), no_data_reason=missing_reason)

    conditions, parameters = _window_conditions(suite, window)
    row_count = _count_rows(connection, source, conditions, parameters)
    batch_count = math.ceil(row_count / batch_rows)
    gx_suite = _gx_suite(suite)
    seed_values = _resolve_seed_values(connection, suite)
    tallies = [_Tally() for _ in suite.expectations]
    for frame in _batches(connection, suite, source, conditions, parameters, batch_count):
        for result in _validate(frame, gx_suite, seed_values):
            tallies[result.expectation_config.meta[_POSITION]].add(suite.name, result)
    outcomes = tuple(tally.outcome(expectation) for tally, expectation in zip(tallies, suite.expectations))
    return SuiteOutcome(suite.name, _target_label(suite), window, row_count, batch_count, outcomes)


def _target_label(suite: Suite) -> str:
    return f"landing/{suite.target}" if suite.target_kind == "landing" else suite.target


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _source(connection: duckdb.DuckDBPyConnection, suite: Suite) -> tuple[str, str | None]:
    """The FROM clause of the target, or why there is nothing to read."""
    if suite.target_kind == "landing":
        folder = settings.landing_dir() / suite.target
        if not any(folder.glob("*/*.parquet")):
            return "", f"No landed Parquet for source {suite.target!r} under {folder}: nothing was validated."
        pattern = (folder / "*" / "*.parquet").as_posix().replace("'", "''")
        # union_by_name: an older partition may predate a column added to the contract later.
        return f"read_parquet('{pattern}', hive_partitioning = true, union_by_name = true)", None
    schema, table = suite.target.split(".")
    exists = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchone()[0]
    if not exists:
        return "", f"Relation {suite.target} does not exist in the warehouse (not built yet?): nothing was validated."
    return f"{_quote(schema)}.{_quote(table)}", None


def _window_conditions(suite: Suite, window: tuple[date, date] | None) -> tuple[list[str], list[date]]:
    if window is None:
        return [], []
    start, end = window
    if suite.window_grain == "month":  # a monthly source is validated for whole months
        start = start.replace(day=1)
        end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    elif suite.window_grain == "week":  # a weekly source for whole ISO weeks, Monday to Sunday
        start = start - timedelta(days=start.weekday())
        end = end + timedelta(days=6 - end.weekday())
    return [f"CAST({_quote(suite.window_column)} AS DATE) BETWEEN ? AND ?"], [start, end]


def _where(conditions: list[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _count_rows(
    connection: duckdb.DuckDBPyConnection, source: str, conditions: list[str], parameters: list[date]
) -> int:
    return connection.execute(f"SELECT count(*) FROM {source}{_where(conditions)}", parameters).fetchone()[0]


def _select_list(suite: Suite) -> str:
    text_columns = {column for e in suite.expectations if seed_references(e) for column in expectation_columns(e)}
    columns = dict.fromkeys(column for e in suite.expectations for column in expectation_columns(e))
    return ", ".join(
        f"CAST({_quote(column)} AS VARCHAR) AS {_quote(column)}" if column in text_columns else _quote(column)
        for column in columns
    )


def _batches(
    connection: duckdb.DuckDBPyConnection,
    suite: Suite,
    source: str,
    conditions: list[str],
    parameters: list[date],
    batch_count: int,
) -> Iterator[pd.DataFrame]:
    """The rows as `batch_count` DataFrames; all rows of one key value land in the same one."""
    select = f"SELECT {_select_list(suite)} FROM {source}"
    for batch in range(batch_count):
        batch_conditions = conditions
        if batch_count > 1:
            batch_conditions = [*conditions, f"hash({_quote(suite.key_column)}) % {batch_count} = {batch}"]
        yield connection.execute(select + _where(batch_conditions), parameters).df()


def _gx_parameter_name(parameter: str | list[str]) -> str:
    return "__or__".join(reference.replace(".", "__") for reference in _references(parameter))


def _resolve_seed_values(connection: duckdb.DuckDBPyConnection, suite: Suite) -> dict[str, list[str]]:
    """Each parameter of the suite (a `schema.table.column` or a list of them) → the distinct values of those seed
    columns, as text."""
    parameters = {
        json.dumps(value[PARAMETER_KEY]): value[PARAMETER_KEY]
        for expectation in suite.expectations
        for value in expectation["kwargs"].values()
        if isinstance(value, dict) and PARAMETER_KEY in value
    }
    values = {}
    for parameter in parameters.values():
        selects = []
        for reference in _references(parameter):
            schema, table, column = reference.split(".")
            selects.append(f"SELECT CAST({_quote(column)} AS VARCHAR) AS v FROM {_quote(schema)}.{_quote(table)} "
                           f"WHERE {_quote(column)} IS NOT NULL")
        rows = connection.execute(f"SELECT DISTINCT v FROM ({' UNION ALL '.join(selects)}) ORDER BY 1").fetchall()
        values[_gx_parameter_name(parameter)] = [row[0] for row in rows]
    return values


def _gx_suite(suite: Suite):
    """The GX ExpectationSuite, with parameter names GX can parse and each expectation's position in its meta."""
    import great_expectations as gx  # imported here: it takes seconds, and Dagster imports this module early

    expectations = []
    for position, expectation in enumerate(suite.expectations):
        expectation = copy.deepcopy(expectation)
        for name, value in expectation["kwargs"].items():
            if isinstance(value, dict) and PARAMETER_KEY in value:
                value[PARAMETER_KEY] = _gx_parameter_name(value[PARAMETER_KEY])
            elif isinstance(value, dict) and CONTRACT_KEY in value:
                expectation["kwargs"][name] = contract_value(value[CONTRACT_KEY])
        expectation["meta"][_POSITION] = position
        expectations.append(expectation)
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)


@functools.cache
def _batch_definition():
    """A whole-DataFrame batch definition of one ephemeral GX context (creating a context is slow)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,  # no network calls from the pipelines
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )
    frames = context.data_sources.add_pandas("warehouse").add_dataframe_asset("frame")
    return frames.add_batch_definition_whole_dataframe("whole_frame")


def _validate(frame: pd.DataFrame, gx_suite, seed_values: dict[str, list[str]]) -> list:
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        gx_suite,
        expectation_parameters=seed_values,
        result_format={"result_format": "BASIC", "partial_unexpected_count": SAMPLE_SIZE},
    )
    return result.results


def _exception_message(result) -> str | None:
    """GX reports an exception either flat or per metric; None when the expectation was evaluated."""
    info = result.exception_info or {}
    reports = [info] if "raised_exception" in info else list(info.values())
    messages = [report.get("exception_message") for report in reports if report.get("raised_exception")]
    return "; ".join(str(message) for message in messages) if messages else None


def _sample_text(value: Any) -> str:
    """A sample as an engineer reads it: pairs as `a / b`, compound keys as `k=v, …`, NULL for missing values."""
    if isinstance(value, (tuple, list)):
        return " / ".join(_sample_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}={_sample_text(item)}" for key, item in value.items())
    if value is None or pd.isna(value):
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@dataclass
class _Tally:
    """Counts of one expectation, added up over batches."""

    element_count: int = 0
    missing_count: int = 0
    unexpected_count: int = 0
    samples: list[str] = field(default_factory=list)

    def add(self, suite_name: str, result) -> None:
        message = _exception_message(result)
        if message:
            config = result.expectation_config
            raise RuntimeError(f"Suite {suite_name}: {config.type} on {config.kwargs} could not run: {message}")
        counts = result.result
        self.element_count += counts["element_count"]
        self.missing_count += counts.get("missing_count", 0)  # not_be_null counts NULLs as unexpected instead
        self.unexpected_count += counts["unexpected_count"]
        for value in counts.get("partial_unexpected_list", []):
            text = _sample_text(value)
            if text not in self.samples and len(self.samples) < SAMPLE_SIZE:
                self.samples.append(text)

    def outcome(self, expectation: dict[str, Any]) -> ExpectationOutcome:
        evaluated = self.element_count - self.missing_count
        mostly = float(expectation["kwargs"].get("mostly", 1.0))
        success = evaluated == 0 or (evaluated - self.unexpected_count) / evaluated >= mostly
        return ExpectationOutcome(
            expectation_type=expectation["type"],
            columns=expectation_columns(expectation),
            severity=severity_of(expectation),
            success=success,
            unexpected_count=self.unexpected_count,
            element_count=self.element_count,
            missing_count=self.missing_count,
            unexpected_percent=100.0 * self.unexpected_count / evaluated if evaluated else 0.0,
            mostly=mostly,
            sample_unexpected=tuple(self.samples),
        )
