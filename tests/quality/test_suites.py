"""The suites: every suite's references name real seed columns, contract values and target columns; GX accepts
every suite; a wrong contract reference is refused."""

from __future__ import annotations

import csv
import json
import re

import pytest
import yaml

from pipelines import settings
from pipelines.derived.landing_suites import BLOCKING_TYPES, has_format_expectation, landing_suite_document
from pipelines.ingestion.contracts import load_contracts
from pipelines.quality.suites import (
    contract_value,
    expectation_columns,
    gx_suite,
    load_suites,
    parse_suite,
    seed_references,
    suites_for_asset,
)
from tests.quality.helpers import SEEDS_DIR


def test_suites_for_asset():
    assert suites_for_asset(["landing", "hotline_12345"]) == ["hotline_12345"]
    assert suites_for_asset(("marts", "fct_service_request")) == ["fct_service_request"]
    assert suites_for_asset(["marts", "nothing"]) == []


def seed_header(reference: str) -> list[str]:
    schema, table, _ = reference.split(".")
    with open(SEEDS_DIR / schema / f"{table}.csv", encoding="utf-8") as seed:
        return next(csv.reader(seed))


def test_every_suite_parameter_names_a_seed_column():
    for suite in load_suites().values():
        for expectation in suite.expectations:
            for reference in seed_references(expectation):
                assert reference.rsplit(".", 1)[1] in seed_header(reference), (suite.name, reference)


def contract_columns(source: str) -> set[str]:
    contract = yaml.safe_load((settings.CONTRACTS_DIR / f"{source}.yaml").read_text(encoding="utf-8"))
    return {column["name"] for column in contract["columns"]} | {"partition_key"}


def mart_columns(model: str) -> set[str]:
    """The columns of a mart as docs/architecture.md lists them (annotations in parentheses dropped)."""
    architecture = (settings.REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    [row] = [line for line in architecture.splitlines() if line.startswith(f"| `{model}` |")]
    listed = re.sub(r"\([^)]*\)", "", row.split("|")[3])
    return {column.strip() for column in listed.split(",")}


def test_every_suite_only_names_columns_of_its_target():
    for suite in load_suites().values():
        if suite.target_kind == "landing":
            known = contract_columns(suite.target)
        else:
            known = mart_columns(suite.target.split(".")[1])
        named = {c for e in suite.expectations for c in expectation_columns(e)}
        named |= {suite.key_column} | ({suite.window_column} if suite.window_column else set())
        assert named <= known, (suite.name, named - known)


def test_every_suite_builds_as_a_gx_suite():
    for suite in load_suites().values():
        assert len(gx_suite(suite).expectations) == len(suite.expectations)


def test_no_landing_suite_errors_on_what_landing_already_guarantees():
    """An ERROR expectation must be able to fail on landed data: landing quarantines empty required fields, so
    a not-null expectation on a landed column could never fail."""
    contracts = load_contracts()
    for suite in load_suites().values():
        if suite.target_kind == "landing":
            errors = [e for e in suite.expectations if e["meta"]["severity"] == "error"]
            blocking = [c for c in contracts[suite.name].columns
                        if c.required and c.type in BLOCKING_TYPES and has_format_expectation(c)]
            assert bool(errors) == bool(blocking), suite.name  # a broken time or number export blocks
            assert not [e for e in errors if e["type"] == "expect_column_values_to_not_be_null"], suite.name
            assert all(e["kwargs"].get("mostly", 1.0) < 1.0 for e in errors), suite.name  # a threshold, not perfection


def test_a_contract_reference_resolves_to_the_contract_and_a_wrong_one_is_refused(tmp_path):
    [timestamp] = [c for c in load_contracts()["hotline_12345"].columns if c.name == "accepted_at"]
    assert contract_value("hotline_12345.accepted_at.format") == timestamp.format
    document = landing_suite_document(load_contracts()["hotline_12345"], settings.DBT_PROJECT_DIR / "seeds")
    assert document["expectations"][0]["kwargs"]["column"] == "accepted_at"
    document["expectations"][0]["kwargs"]["strftime_format"] = {"$CONTRACT": "hotline_12345.no_such_column.format"}
    (tmp_path / "bad.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_column.format' names no value of a contract column"):
        parse_suite(tmp_path / "bad.json")
