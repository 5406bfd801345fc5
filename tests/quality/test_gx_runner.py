"""The GX runner on hand-made marts and landed files with known defects: exact counts and severities."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.quality import gx_runner
from pipelines.quality.gx_runner import run_suite
from pipelines.quality.suites import expectation_columns, load_suites, parse_suite_document
from pipelines.warehouse import open_warehouse
from tests.quality.helpers import (
    DISTRICT,
    FCT_SERVICE_REQUEST_COLUMNS,
    create_table,
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


CODES_IN_SET = parse_suite_document({
    "name": "codes_in_set",
    "meta": {"target": {"kind": "relation", "relation": "marts.codes"}, "asset_key": ["marts", "codes"],
             "key_column": "record_id"},
    "expectations": [{"type": "expect_column_values_to_be_in_set",
                      "kwargs": {"column": "code", "value_set": ["known"]}, "meta": {"severity": "warn"}}],
}, "a test's suite")


@pytest.mark.parametrize("descending", [False, True])
def test_the_sample_of_unexpected_values_does_not_depend_on_row_order(descending):
    """More distinct unexpected values than a sample holds, stored in either order: the same, smallest ones."""
    unknown = [f"unknown_{number:02d}" for number in range(1, 3 * gx_runner.SAMPLE_SIZE)]
    codes = sorted(unknown + ["known"] * 3, reverse=descending)
    with duckdb.connect() as connection:
        connection.execute("CREATE SCHEMA marts")
        connection.execute("CREATE TABLE marts.codes AS SELECT i AS record_id, codes[i] AS code "
                           "FROM (SELECT ?::VARCHAR[] AS codes), range(1, len(codes) + 1) AS r(i) ORDER BY i",
                           [codes])
        outcome = run_suite(connection, CODES_IN_SET)
    [in_set] = outcome.expectations
    assert in_set.unexpected_count == len(unknown)
    assert in_set.sample_unexpected == tuple(unknown[:gx_runner.SAMPLE_SIZE])


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
