"""The GX runner on hand-made marts and landed files with known defects: exact counts and severities."""

from __future__ import annotations

import csv
import re
from datetime import date

import duckdb
import pytest
import yaml

from pipelines import settings
from pipelines.derived.landing_suites import BLOCKING_TYPES, has_format_expectation
from pipelines.ingestion.contracts import load_contracts
from pipelines.quality import gx_runner
from pipelines.quality.gx_runner import (
    expectation_columns,
    load_suites,
    parse_suite_document,
    run_suite,
    seed_references,
    suites_for_asset,
)
from pipelines.warehouse import open_warehouse
from tests.quality.helpers import (
    DISTRICT,
    FCT_SERVICE_REQUEST_COLUMNS,
    HOTLINE_COLUMNS,
    SEEDS_DIR,
    create_table,
    defective_hotline_rows,
    service_request,
    write_landing,
)


def outcome_of(outcome, expectation_type: str, *columns: str, severity: str | None = None):
    [found] = [o for o in outcome.expectations if o.expectation_type == expectation_type and o.columns == columns
               and severity in (None, o.severity)]
    return found


def failures(outcomes) -> set[tuple[str, tuple[str, ...]]]:
    return {(o.expectation_type, o.columns) for o in outcomes}


def test_mart_defects_are_counted_exactly_with_their_severity(service_requests):
    with open_warehouse(service_requests) as connection:
        outcome = run_suite(connection, "fct_service_request")

    assert outcome.row_count == 20
    assert failures(outcome.error_failures) == {
        ("expect_column_values_to_be_between", ("time_limit_hours",)),
        ("expect_column_values_to_match_regex", ("caller_pseudonym",)),
        ("expect_column_values_to_match_regex", ("caller_phone_masked",)),
    }
    assert failures(outcome.warn_failures) == {
        ("expect_column_values_to_be_between", ("response_minutes",)),
        ("expect_column_pair_values_a_to_be_greater_than_b", ("closed_at", "accepted_at")),
        ("expect_column_values_to_be_in_set", ("lifecycle_in_order",)),
    }
    limit = outcome_of(outcome, "expect_column_values_to_be_between", "time_limit_hours")
    assert (limit.unexpected_count, limit.element_count, limit.sample_unexpected) == (1, 20, ("0",))
    pseudonym = outcome_of(outcome, "expect_column_values_to_match_regex", "caller_pseudonym")
    assert (pseudonym.unexpected_count, pseudonym.sample_unexpected) == (1, ("not-a-pseudonym",))
    phone = outcome_of(outcome, "expect_column_values_to_match_regex", "caller_phone_masked")
    assert phone.sample_unexpected == ("13812348000",)
    response = outcome_of(outcome, "expect_column_values_to_be_between", "response_minutes")
    assert (response.unexpected_count, response.unexpected_percent) == (1, 5.0)
    closed = outcome_of(outcome, "expect_column_pair_values_a_to_be_greater_than_b", "closed_at", "accepted_at")
    assert closed.unexpected_count == 1 and closed.missing_count == 0
    id_valid = outcome_of(outcome, "expect_column_values_to_be_in_set", "caller_id_is_valid")
    assert id_valid.success and id_valid.unexpected_count == 1 and id_valid.severity == "warn"


def channel_in_set(outcome):
    return outcome_of(outcome, "expect_column_values_to_be_in_set", "channel_name", severity="warn")


def test_seed_parameters_are_resolved_from_the_warehouse(hotline_landing):
    with open_warehouse(hotline_landing) as connection:
        before = channel_in_set(run_suite(connection, "hotline_12345"))
        connection.execute("INSERT INTO standard.std_channel VALUES ('99', '热线电话')")
        after = channel_in_set(run_suite(connection, "hotline_12345"))
    assert (before.success, before.unexpected_count) == (False, 2)
    assert (after.success, after.unexpected_count) == (True, 0)


UNIQUE_WORK_ORDERS = parse_suite_document({
    "name": "unique_work_orders",
    "meta": {"target": {"kind": "relation", "relation": "marts.fct_service_request"},
             "asset_key": ["marts", "fct_service_request"], "key_column": "work_order_id"},
    "expectations": [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "work_order_id"},
                      "meta": {"severity": "error"}}],
}, "a test's suite")


def test_every_row_of_a_duplicated_key_is_unexpected(warehouse):
    rows = [service_request(number, work_order_id=f"WO{number % 5:04d}") for number in range(1, 21)]  # 5 keys × 4
    rows.append(service_request(21, work_order_id="WO-unique"))
    with open_warehouse(warehouse) as connection:
        create_table(connection, "marts.fct_service_request", FCT_SERVICE_REQUEST_COLUMNS, rows)
        unique = outcome_of(run_suite(connection, UNIQUE_WORK_ORDERS), "expect_column_values_to_be_unique",
                            "work_order_id")
    assert (unique.unexpected_count, unique.element_count, unique.success) == (20, 21, False)


def test_window_selects_the_partitions_of_the_window(service_requests):
    with open_warehouse(service_requests) as connection:
        outcome = run_suite(connection, "fct_service_request", window=(date(2026, 3, 2), date(2026, 3, 2)))
    assert outcome.row_count == 10 and outcome.success  # the defects are all in 2026-03-01


def test_a_missing_relation_is_reported_not_raised(warehouse):
    with open_warehouse(warehouse) as connection:
        outcome = run_suite(connection, "fct_grid_event")
    assert not outcome.success and "marts.fct_grid_event does not exist" in outcome.no_data_reason


# ---------------------------------------------------------------------------------------------- landing

def test_landing_defects_are_counted_exactly_with_their_severity(hotline_landing):
    with open_warehouse(hotline_landing) as connection:
        outcome = run_suite(connection, "hotline_12345")

    assert outcome.row_count == 20 and outcome.target == "landing/hotline_12345"
    assert failures(outcome.error_failures) == {("expect_column_values_to_match_strftime_format", ("accepted_at",))}
    assert failures(outcome.warn_failures) == {
        ("expect_column_values_to_match_strftime_format", ("accepted_at",)),
        ("expect_column_values_to_be_in_set", ("channel_name",)),
    }
    accepted_at = outcome_of(outcome, "expect_column_values_to_match_strftime_format", "accepted_at", severity="error")
    assert (accepted_at.unexpected_count, accepted_at.sample_unexpected) == (2, ("2026-03-01T08:00:00+08:00",))
    status = outcome_of(outcome, "expect_column_values_to_be_in_set", "status_name", severity="warn")
    assert status.success and status.missing_count == 1
    channel = outcome_of(outcome, "expect_column_values_to_be_in_set", "channel_name", severity="warn")
    assert (channel.unexpected_count, channel.sample_unexpected) == (2, ("热线电话",))
    district = outcome_of(outcome, "expect_column_values_to_be_in_set", "district_name", severity="warn")
    assert district.success and district.unexpected_count == 1
    citizen_id = outcome_of(outcome, "expect_column_values_to_match_regex", "caller_id_number")
    assert citizen_id.success and citizen_id.unexpected_count == 1


class RecordingConnection:
    """A DuckDB connection that keeps the SQL it is given."""

    def __init__(self, connection):
        self.connection, self.statements = connection, []

    def execute(self, sql, *args):
        self.statements.append(sql)
        return self.connection.execute(sql, *args)


def test_a_check_at_two_thresholds_is_counted_once(hotline_landing):
    """The broken-format ERROR and the format WARN of accepted_at are one check: one count, one sample query."""
    with open_warehouse(hotline_landing) as connection:
        recording = RecordingConnection(connection)
        outcome = run_suite(recording, "hotline_12345")

    format_check = "try_strptime(CAST(\"accepted_at\" AS VARCHAR)"
    [totals] = [sql for sql in recording.statements if "AS evaluated_0" in sql]
    assert totals.count(format_check) == 1
    assert sum(format_check in sql for sql in recording.statements if "LIMIT" in sql) == 1
    error, warn = (outcome_of(outcome, "expect_column_values_to_match_strftime_format", "accepted_at", severity=s)
                   for s in ("error", "warn"))
    assert (error.unexpected_count, error.mostly, error.sample_unexpected) == (2, 0.95, ("2026-03-01T08:00:00+08:00",))
    assert (warn.unexpected_count, warn.mostly, warn.sample_unexpected) == (2, 0.99, ("2026-03-01T08:00:00+08:00",))


def test_landing_window_reads_only_its_partitions(hotline_landing):
    with open_warehouse(hotline_landing) as connection:
        outcome = run_suite(connection, "hotline_12345", window=(date(2026, 3, 2), date(2026, 3, 2)))
    assert outcome.row_count == 10 and outcome.success


def test_a_landing_window_without_landed_partitions_validates_no_row_and_reads_nothing(hotline_landing):
    with duckdb.connect() as connection:  # no seed tables: reading them would fail
        outcome = run_suite(connection, "hotline_12345", window=(date(2026, 3, 5), date(2026, 3, 5)))
    assert outcome.row_count == 0 and outcome.success and outcome.no_data_reason is None
    assert {(o.element_count, o.unexpected_count) for o in outcome.expectations} == {(0, 0)}
    assert len(outcome.expectations) == len(load_suites()["hotline_12345"].expectations)


def test_monthly_window_covers_the_whole_month(warehouse):
    columns = sorted({c for e in load_suites()["mediation_cases"].expectations for c in expectation_columns(e)})
    case = {"accepted_date": "2026-02-03", "district_name": DISTRICT["district_name"],
            "source_category": "邻里纠纷"}
    write_landing("mediation_cases", "2026-02-01", [case | {"case_id": "TJ2026020001"}], columns)
    write_landing("mediation_cases", "2026-03-01", [case | {"case_id": f"TJ202603000{n}"} for n in (1, 2)], columns)
    with open_warehouse(warehouse) as connection:
        outcome = run_suite(connection, "mediation_cases", window=(date(2026, 3, 15), date(2026, 3, 15)))
    assert outcome.row_count == 2 and outcome.window == (date(2026, 3, 15), date(2026, 3, 15))


def test_a_source_without_landed_files_is_reported_not_raised(warehouse):
    with open_warehouse(warehouse) as connection:
        outcome = run_suite(connection, "grid_events")
    assert not outcome.success and outcome.expectations == ()
    assert "No landed Parquet for source 'grid_events'" in outcome.no_data_reason


# ---------------------------------------------------------------------------------------------- the suites


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
        assert len(gx_runner.gx_suite(suite).expectations) == len(suite.expectations)


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
    import json

    from pipelines.ingestion.contracts import load_contracts
    from pipelines.quality.gx_runner import contract_value, parse_suite

    [timestamp] = [c for c in load_contracts()["hotline_12345"].columns if c.name == "accepted_at"]
    assert contract_value("hotline_12345.accepted_at.format") == timestamp.format
    from pipelines.derived.landing_suites import landing_suite_document

    document = landing_suite_document(load_contracts()["hotline_12345"], settings.DBT_PROJECT_DIR / "seeds")
    assert document["expectations"][0]["kwargs"]["column"] == "accepted_at"
    document["expectations"][0]["kwargs"]["strftime_format"] = {"$CONTRACT": "hotline_12345.no_such_column.format"}
    (tmp_path / "bad.json").write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ValueError, match="no_such_column.format' names no value of a contract column"):
        parse_suite(tmp_path / "bad.json")

