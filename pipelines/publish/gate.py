"""The publish gate: the latest result of every blocking check on an asset upstream of the publication.

Dagster already skips the publish step when a blocking check (a GX suite with an `error` expectation, a dbt test of
severity error) fails in the same run. The gate also covers a publication run on its own (from the UI, or after a
failed run): it reads the latest execution of every blocking check on every ancestor from the instance, and holds
the publication while any of them is failed with severity ERROR. Non-blocking checks (a delivery's freshness or
volume) report on the deliveries, not on the data, and never hold it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterEventType, DagsterInstance
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus


@dataclass(frozen=True)
class GateReport:
    passed: tuple[str, ...]
    warned: tuple[str, ...]  # failed with severity WARN: recorded, does not hold
    held_by: tuple[str, ...]  # failed with severity ERROR: holds the publication
    # per GX suite check (`asset:check`): its latest expectations' results, counts only (see gx_results_of)
    gx_results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def manifest_checks(self) -> dict:
        return {"passed": list(self.passed), "warned": list(self.warned), "gx_results": self.gx_results}


def check_label(key: AssetCheckKey) -> str:
    return f"{key.asset_key.to_user_string()}:{key.name}"


def gate_report(instance: DagsterInstance, check_keys: Iterable[AssetCheckKey]) -> GateReport:
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(check_keys))
    passed, warned, held_by, gx_results = [], [], [], {}
    for key, record in sorted(latest.items(), key=lambda item: check_label(item[0])):
        evaluation = record.event.asset_check_evaluation if record.event else None
        if evaluation and "gx_results" in evaluation.metadata:
            gx_results[check_label(key)] = gx_results_of(evaluation.metadata["gx_results"].value)
        if record.status == AssetCheckExecutionRecordStatus.SUCCEEDED:
            passed.append(check_label(key))
        elif record.status == AssetCheckExecutionRecordStatus.FAILED:
            severity = evaluation.severity if evaluation else AssetCheckSeverity.ERROR
            (held_by if severity == AssetCheckSeverity.ERROR else warned).append(
                f"{check_label(key)} ({severity.value})"
            )
    return GateReport(tuple(passed), tuple(warned), tuple(held_by), gx_results)


def gx_results_of(expectations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A GX suite check's expectation results without their unexpected samples: the landing suites validate raw
    landed rows, whose samples may be personal values, and the manifest is published (the counts stay)."""
    return [{**expectation, "result": {name: value for name, value in expectation.get("result", {}).items()
                                       if name != "partial_unexpected_list"}}
            for expectation in expectations]


def failed_error_checks_of_run(instance: DagsterInstance, run_id: str) -> list[str]:
    """The blocking checks that failed with severity ERROR in one run, as `asset:check`."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
    evaluations = [record.event_log_entry.asset_check_evaluation for record in records]
    return sorted({
        check_label(evaluation.asset_check_key)
        for evaluation in evaluations
        if evaluation and not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
        and evaluation.blocking
    })


def upstream_check_keys(asset_graph, key: AssetKey) -> set[AssetCheckKey]:
    """The blocking checks upstream: those that assert the data. A non-blocking check (a delivery's freshness or
    volume) reports on the deliveries and never holds the publication of the data that did arrive."""
    keys = asset_graph.get_check_keys_for_assets(asset_graph.get_ancestor_asset_keys(key))
    return {check_key for check_key in keys if asset_graph.get_check_spec(check_key).blocking}
