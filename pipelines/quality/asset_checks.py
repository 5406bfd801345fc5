"""One Dagster asset check per GX suite: `gx_<suite>` on the suite's `meta.asset_key`.

Outcome of a check:
- passed when every expectation of the suite succeeded;
- failed with severity ERROR when any `error` expectation failed: the check is `blocking` (every suite with an
  `error` expectation is), so assets downstream of the checked one do not run;
- failed with severity WARN when only `warn` expectations failed: recorded and shown, downstream runs;
- failed with severity WARN when there was nothing to validate (no landed files, relation not built yet).
The metadata holds a markdown table of every expectation (unexpected count, percent, samples) and the totals.

Window: a check built with the `partitions_def` of its asset validates the rows of the run's partition; an
unpartitioned check validates all history. A run over a range of partitions (a backfill) validates each partition
on its own and records one evaluation per partition, so every day shows its own result in the UI and a failing
day is never hidden in the range's total. Dagster's `AssetCheckResult` has no partition (in a range run it would
be recorded once, unpartitioned, and every planned day would show "Skipped"), so the check yields
`AssetCheckEvaluation`s with their `partition` and then its (empty) output.
"""

# No `from __future__ import annotations`: Dagster inspects the real type of the `context` annotation.
from collections.abc import Iterator, Mapping
from datetime import date, timedelta

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    AssetCheckSpec,
    AssetKey,
    AssetRecordsFilter,
    MetadataValue,
    Output,
    PartitionsDefinition,
    TimeWindow,
    asset_check,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,  # not exported by dagster; AssetCheckResult fills it the same way
)

from pipelines.quality.gx_runner import ExpectationOutcome, SuiteOutcome, gx_result, run_suite
from pipelines.quality.suites import Suite, load_suites
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
    def _check(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult | AssetCheckEvaluation | Output]:
        if partitions_def and context.has_partition_key_range and not context.has_partition_key:
            yield from _per_partition_evaluations(context, suite, partitions_def)
            return
        window = _inclusive_dates(context.partition_time_window) if partitions_def and context.has_partition_key else None
        with warehouse_connection() as connection:
            outcome = run_suite(connection, suite.name, window)
        yield check_result(outcome)

    return _check


def _per_partition_evaluations(
    context: AssetCheckExecutionContext, suite: Suite, partitions_def: PartitionsDefinition
) -> Iterator[AssetCheckEvaluation | Output]:
    """One evaluation per partition of the run's range, then the check's output; a failing ERROR day blocks."""
    [spec] = context.check_specs
    keys = partitions_def.get_partition_keys_in_range(context.partition_key_range)
    with warehouse_connection() as connection:
        outcomes = {
            key: run_suite(connection, suite.name, _inclusive_dates(partitions_def.time_window_for_partition_key(key)))
            for key in keys
        }
    failed = [key for key, outcome in outcomes.items() if not outcome.success]
    if failed:
        context.log.warning(f"gx_{suite.name} failed on {len(failed)} of {len(keys)} partitions: {', '.join(failed)}")
    for key, outcome in outcomes.items():
        yield partition_evaluation(spec, key, check_result(outcome), _target_materialization(context, spec, key))
    yield Output(None, output_name=context.job_def.asset_layer.get_op_output_name(spec.key))


def partition_evaluation(
    spec: AssetCheckSpec,
    partition_key: str,
    result: AssetCheckResult,
    target: AssetCheckEvaluationTargetMaterializationData | None = None,
) -> AssetCheckEvaluation:
    return AssetCheckEvaluation(
        asset_key=spec.asset_key,
        check_name=spec.name,
        passed=result.passed,
        metadata=result.metadata,
        target_materialization_data=target,
        severity=result.severity,
        description=result.description,
        blocking=spec.blocking,
        partition=partition_key,
    )


def _target_materialization(context: AssetCheckExecutionContext, spec: AssetCheckSpec, partition_key: str):
    """The partition's latest materialization, which the evaluation checked (as Dagster links it itself)."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=spec.asset_key, asset_partitions=[partition_key]), limit=1
    ).records
    if not records:
        return None
    return AssetCheckEvaluationTargetMaterializationData(
        run_id=records[0].run_id, storage_id=records[0].storage_id, timestamp=records[0].timestamp
    )


def _inclusive_dates(time_window: TimeWindow) -> tuple[date, date]:
    """A partition time window as inclusive dates (Dagster's window end is exclusive)."""
    return time_window.start.date(), (time_window.end - timedelta(days=1)).date()


def check_result(outcome: SuiteOutcome) -> AssetCheckResult:
    """The Dagster result of a suite outcome (see the module docstring for passed / severity)."""
    metadata = {
        "target": outcome.target,
        "window": f"{outcome.window[0]} .. {outcome.window[1]}" if outcome.window else "all history",
        "rows_validated": outcome.row_count,
        "error_failures": len(outcome.error_failures),
        "warn_failures": len(outcome.warn_failures),
    }
    if outcome.no_data_reason:
        metadata["no_data"] = outcome.no_data_reason
    else:
        metadata["expectations"] = MetadataValue.md(expectations_table(outcome.expectations))
        # each expectation's result as GX reports it (type, columns, success and GX's BASIC `result`)
        metadata["gx_results"] = MetadataValue.json([
            {"type": o.expectation_type, "columns": list(o.columns), "severity": o.severity, "success": o.success,
             "result": gx_result(o)} for o in outcome.expectations])
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
