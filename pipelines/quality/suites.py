"""The Great Expectations suites: what `expectations/*.json` and the contracts' landing suites say, checked.

A suite is a GX 1.x ExpectationSuite serialization whose top-level `meta` says what to validate:

    "meta": {"target": {"kind": "landing", "source": "hotline_12345"}        (landed Parquet of a source)
                   or {"kind": "relation", "relation": "marts.fct_service_request"},
             "asset_key": ["landing", "hotline_12345"],
             "key_column": "work_order_id",          (record key)
             "window_column": "partition_key",       (optional: rows of a time window)
             "window_grain": "day" | "week" | "month"}

and every expectation carries `meta.severity` = "error" or "warn". `gx_runner.py` runs a suite on the warehouse.

- Only column map expectations (which report per-row unexpected counts) are supported; others are refused.
- Contract values: `{"$CONTRACT": "source.column.format"}` is that column's `format` in `contracts/<source>.yaml`
  (for example the strftime format a timestamp is delivered in), so a suite never repeats the contract.
- Suite parameters: `{"$PARAMETER": "schema.table.column"}` is the set of distinct values of that seed column in
  the warehouse (a list of such references: the union of their values), so no code list is written in a suite. GX parameter names cannot contain dots, so they are
  handed to GX as `schema__table__column`.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines import settings

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


def with_contract_values(expectation: dict[str, Any]) -> dict[str, Any]:
    """The expectation with each `$CONTRACT` reference replaced by the contract's value."""
    kwargs = {name: contract_value(value[CONTRACT_KEY]) if isinstance(value, dict) and CONTRACT_KEY in value
              else value for name, value in expectation["kwargs"].items()}
    return {**expectation, "kwargs": kwargs}


def _gx_parameter_name(parameter: str | list[str]) -> str:
    return "__or__".join(reference.replace(".", "__") for reference in _references(parameter))


def gx_suite(suite: Suite):
    """The suite as a GX ExpectationSuite (GX's vocabulary and checks of the kwargs; data docs render it), with
    seed parameters named as GX can parse them and contract values filled in."""
    import great_expectations as gx  # imported here: it takes seconds, and the pipeline's checks do not need it

    expectations = []
    for expectation in suite.expectations:
        expectation = copy.deepcopy(with_contract_values(expectation))
        for value in expectation["kwargs"].values():
            if isinstance(value, dict) and PARAMETER_KEY in value:
                value[PARAMETER_KEY] = _gx_parameter_name(value[PARAMETER_KEY])
        expectations.append(expectation)
    return gx.ExpectationSuite(name=suite.name, expectations=expectations)
