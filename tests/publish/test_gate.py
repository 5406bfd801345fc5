"""The publish gate reads the latest result of each upstream check from the instance: an ERROR failure holds,
a WARN failure does not, and a later pass releases."""

from __future__ import annotations

from dagster import (AssetCheckKey, AssetCheckResult, AssetCheckSeverity, DagsterInstance, MetadataValue, asset,
                     asset_check, materialize)

from pipelines.publish.gate import gate_report


@asset(key=["marts", "mart_x"])
def mart_x() -> None:
    """Stands for a mart."""


def checks_with(outcome: dict):
    @asset_check(asset=mart_x, name="error_check")
    def error_check() -> AssetCheckResult:
        return AssetCheckResult(passed=outcome["error_passed"], severity=AssetCheckSeverity.ERROR)

    @asset_check(asset=mart_x, name="warn_check")
    def warn_check() -> AssetCheckResult:
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN,
                                metadata={"gx_results": MetadataValue.json([GX_RESULT])})

    return [error_check, warn_check]


GX_RESULT = {"type": "expect_column_values_to_not_be_null", "columns": ["phone"], "severity": "warn", "success": False,
             "result": {"element_count": 3, "unexpected_count": 1, "partial_unexpected_list": ["13800000000"]}}
KEYS = [AssetCheckKey(mart_x.key, "error_check"), AssetCheckKey(mart_x.key, "warn_check")]


def test_the_latest_error_failure_holds_and_a_later_pass_releases():
    instance = DagsterInstance.ephemeral()
    materialize([mart_x, *checks_with({"error_passed": False})], instance=instance, raise_on_error=False)
    held = gate_report(instance, KEYS)
    assert held.held_by == ("marts/mart_x:error_check (ERROR)",)
    assert held.warned == ("marts/mart_x:warn_check (WARN)",) and held.passed == ()

    materialize([mart_x, *checks_with({"error_passed": True})], instance=instance, raise_on_error=False)
    released = gate_report(instance, KEYS)
    assert released.held_by == () and released.passed == ("marts/mart_x:error_check",)
    # the GX results travel to the manifest with their counts, never their samples (they may be personal values)
    without_samples = {**GX_RESULT, "result": {"element_count": 3, "unexpected_count": 1}}
    assert released.manifest_checks() == {"passed": ["marts/mart_x:error_check"],
                                          "warned": ["marts/mart_x:warn_check (WARN)"],
                                          "gx_results": {"marts/mart_x:warn_check": [without_samples]}}


def test_checks_that_never_ran_neither_hold_nor_count_as_passed():
    report = gate_report(DagsterInstance.ephemeral(), KEYS)
    assert (report.passed, report.warned, report.held_by) == ((), (), ())
