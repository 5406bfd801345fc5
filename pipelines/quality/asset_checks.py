"""One Dagster asset check per GX suite: `gx_<suite>` on the suite's `meta.asset_key`.

Outcome of a check:
- passed when every expectation of the suite succeeded;
- failed with severity ERROR when any `error` expectation failed: the check is `blocking` (every suite with an
  `error` expectation is), so assets downstream of the checked one do not run;
- failed with severity WARN when only `warn` expectations failed: recorded and shown, downstream runs;
- failed with severity WARN when there was nothing to validate (no landed files, relation not built yet).
The metadata holds a markdown table of every expectation (unexpected count, percent, samples) and the totals.

Window: a check built with the `partitions_def` of its asset validates the rows of the run's partition (or
partition range) time window; an unpartitioned check validates all history.
"""

# No `from __future__ import annotations`: Dagster inspects the real type of the `context` annotation.
from collections.abc import Mapping
from datetime import date, timedelta

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    AssetKey,
    MetadataValue,
    PartitionsDefinition,
    asset_check,
)

from pipelines.quality.gx_runner import ExpectationOutcome, Suite, SuiteOutcome, load_suites, run_suite
from pipelines.warehouse import warehouse_connection


def build_gx_asset_checks(
    partitions_defs: Mapping[AssetKey, PartitionsDefinition] | None = None,
) -> list[AssetChecksDefinition]:
    """The checks of every suite; `partitions_defs` gives the partitions of partitioned checked assets."""
    partitions_defs = partitions_defs or {}
    return [
        _build_check(suite, partitions_defs.get(AssetKey(list(suite.asset_key))))
        for suite in load_suites().values()
    ]


def _build_check(suite: Suite, partitions_def: PartitionsDefinition | None) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(list(suite.asset_key)),
        name=f"gx_{suite.name}",
        description=f"Great Expectations suite expectations/{suite.name}.json",
        blocking=suite.has_error_expectations,
        partitions_def=partitions_def,
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        window = _partition_window(context) if partitions_def else None
        with warehouse_connection() as connection:
            outcome = run_suite(connection, suite.name, window)
        return check_result(outcome)

    return _check


def _partition_window(context: AssetCheckExecutionContext) -> tuple[date, date] | None:
    """The run's partition time window as inclusive dates (Dagster's window end is exclusive)."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    time_window = context.partition_time_window
    return time_window.start.date(), (time_window.end - timedelta(days=1)).date()


def check_result(outcome: SuiteOutcome) -> AssetCheckResult:
    """The Dagster result of a suite outcome (see the module docstring for passed / severity)."""
    metadata = {
        "target": outcome.target,
        "window": f"{outcome.window[0]} .. {outcome.window[1]}" if outcome.window else "all history",
        "rows_validated": outcome.row_count,
        "batches": outcome.batch_count,
        "error_failures": len(outcome.error_failures),
        "warn_failures": len(outcome.warn_failures),
    }
    if outcome.no_data_reason:
        metadata["no_data"] = outcome.no_data_reason
    else:
        metadata["expectations"] = MetadataValue.md(expectations_table(outcome.expectations))
    return AssetCheckResult(
        passed=outcome.success,
        severity=AssetCheckSeverity.ERROR if outcome.error_failures else AssetCheckSeverity.WARN,
        description=_summary(outcome),
        metadata=metadata,
    )


def _summary(outcome: SuiteOutcome) -> str:
    if outcome.no_data_reason:
        return outcome.no_data_reason
    return (
        f"{outcome.row_count} rows of {outcome.target}: {len(outcome.error_failures)} error and "
        f"{len(outcome.warn_failures)} warn expectations failed of {len(outcome.expectations)}."
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def expectations_table(outcomes: tuple[ExpectationOutcome, ...]) -> str:
    lines = [
        "| result | severity | expectation | column(s) | unexpected | of non-null | % | mostly | samples |",
        "|---|---|---|---|---:|---:|---:|---:|---|",
    ]
    for outcome in outcomes:
        lines.append(
            "| "
            + " | ".join(
                [
                    "ok" if outcome.success else "**FAILED**",
                    outcome.severity,
                    outcome.expectation_type.removeprefix("expect_"),
                    ", ".join(outcome.columns),
                    str(outcome.unexpected_count),
                    str(outcome.element_count - outcome.missing_count),
                    f"{outcome.unexpected_percent:.2f}",
                    f"{outcome.mostly:g}",
                    _cell(", ".join(outcome.sample_unexpected)),
                ]
            )
            + " |"
        )
    return "\n".join(lines)
