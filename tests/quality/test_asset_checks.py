"""The Dagster asset checks built from the suites: names, blocking, severities and the partition window."""

from __future__ import annotations

from dagster import (
    AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance, DailyPartitionsDefinition, asset, materialize,
)

from pipelines.quality.asset_checks import build_gx_asset_checks, check_result
from pipelines.quality.gx_runner import ExpectationOutcome, SuiteOutcome
from pipelines.quality.suites import load_suites


def checks_by_name(checks) -> dict:
    return {spec.name: (check, spec) for check in checks for spec in check.check_specs}


def test_one_blocking_check_per_suite_on_its_asset():
    checks = checks_by_name(build_gx_asset_checks())
    assert set(checks) == {f"gx_{name}" for name in load_suites()}
    _, spec = checks["gx_fct_service_request"]
    assert spec.asset_key == AssetKey(["marts", "fct_service_request"]) and spec.blocking


def test_error_failure_fails_the_check_with_error_severity(service_requests):
    @asset(key=["marts", "fct_service_request"])
    def fct_service_request() -> None:
        """Stands for the dbt model, which is already in the warehouse."""

    check, _ = checks_by_name(build_gx_asset_checks())["gx_fct_service_request"]
    [evaluation] = materialize([fct_service_request, check], raise_on_error=False).get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
    assert evaluation.metadata["error_failures"].value == 3 and evaluation.metadata["warn_failures"].value == 3
    assert "| **FAILED** | error | column_values_to_match_regex | caller_pseudonym | 1 | 20 | 5.00 | 1 | not-a-pseudonym |" in (
        evaluation.metadata["expectations"].value
    )
    [pseudonym] = [r for r in evaluation.metadata["gx_results"].value if r["columns"] == ["caller_pseudonym"]]
    assert pseudonym["result"] == {
        "element_count": 20, "missing_count": 0, "missing_percent": 0.0, "unexpected_count": 1,
        "unexpected_percent": 5.0, "partial_unexpected_list": ["not-a-pseudonym"]}


def test_an_error_failure_stops_what_depends_on_the_checked_asset(service_requests):
    @asset(key=["marts", "fct_service_request"])
    def fct_service_request() -> None:
        """Stands for the dbt model, which is already in the warehouse."""

    @asset(deps=[fct_service_request])
    def service_request_share() -> None:
        """Stands for a shared dataset built from the mart."""

    check, _ = checks_by_name(build_gx_asset_checks())["gx_fct_service_request"]
    result = materialize([fct_service_request, service_request_share, check], raise_on_error=False)
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert AssetKey(["marts", "fct_service_request"]) in materialized
    assert AssetKey("service_request_share") not in materialized


def test_partitioned_check_validates_the_partition_window(hotline_landing):
    partitions = DailyPartitionsDefinition(start_date="2026-03-01")

    @asset(key=["landing", "hotline_12345"], partitions_def=partitions)
    def landed() -> None:
        """Stands for the landing asset; the files are already landed."""

    checks = build_gx_asset_checks({AssetKey(["landing", "hotline_12345"]): partitions})
    check, _ = checks_by_name(checks)["gx_hotline_12345"]
    [evaluation] = materialize([landed, check], partition_key="2026-03-02").get_asset_check_evaluations()
    assert evaluation.passed, evaluation.description  # the defects are all in 2026-03-01
    assert evaluation.metadata["rows_validated"].value == 10
    assert evaluation.metadata["window"].value == "2026-03-02 .. 2026-03-02"


def expectation(severity: str, success: bool) -> ExpectationOutcome:
    return ExpectationOutcome("expect_column_values_to_be_in_set", ("c",), severity, success, 0, 1, 0, 0.0, 1.0, ())


def suite_outcome(*expectations: ExpectationOutcome, no_data_reason: str | None = None) -> SuiteOutcome:
    return SuiteOutcome("s", "marts.t", None, 1, expectations, no_data_reason)


def test_check_result_passed_and_severity():
    assert check_result(suite_outcome(expectation("error", True), expectation("warn", True))).passed
    warn_only = check_result(suite_outcome(expectation("error", True), expectation("warn", False)))
    assert (warn_only.passed, warn_only.severity) == (False, AssetCheckSeverity.WARN)
    error = check_result(suite_outcome(expectation("error", False), expectation("warn", False)))
    assert (error.passed, error.severity) == (False, AssetCheckSeverity.ERROR)
    no_data = check_result(suite_outcome(no_data_reason="No landed Parquet"))
    assert (no_data.passed, no_data.severity) == (False, AssetCheckSeverity.WARN)
    assert no_data.description == "No landed Parquet"


def test_a_range_run_records_each_partition_and_a_bad_day_fails_by_name(hotline_landing):
    partitions = DailyPartitionsDefinition(start_date="2026-03-01")

    @asset(key=["landing", "hotline_12345"], partitions_def=partitions)
    def landed() -> None:
        """Stands for the landing asset; the files are already landed."""

    checks = build_gx_asset_checks({AssetKey(["landing", "hotline_12345"]): partitions})
    check, _ = checks_by_name(checks)["gx_hotline_12345"]
    instance = DagsterInstance.ephemeral()
    result = materialize([landed, check], instance=instance, raise_on_error=False, tags={
        "dagster/asset_partition_range_start": "2026-03-01", "dagster/asset_partition_range_end": "2026-03-02"})
    by_day = {evaluation.partition: evaluation for evaluation in result.get_asset_check_evaluations()}
    assert set(by_day) == {"2026-03-01", "2026-03-02"}
    assert not by_day["2026-03-01"].passed and by_day["2026-03-01"].severity == AssetCheckSeverity.ERROR
    assert by_day["2026-03-01"].metadata["window"].value == "2026-03-01 .. 2026-03-01"
    assert by_day["2026-03-02"].passed and by_day["2026-03-02"].metadata["rows_validated"].value == 10
    # the failing ERROR day blocks the step, and the instance keeps one result per day (none left "planned")
    [failure] = result.get_step_failure_events()
    assert "blocking asset check failed with ERROR severity" in failure.step_failure_data.error.message
    key = AssetCheckKey(AssetKey(["landing", "hotline_12345"]), "gx_hotline_12345")
    records = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
    assert sorted((record.partition, record.status.value) for record in records) == [
        ("2026-03-01", "FAILED"), ("2026-03-02", "SUCCEEDED")]
