"""Delivery checks on every landing asset, from its contract (none blocks what depends on it):

- `delivery_freshness` (not partitioned, evaluated now): the partition after the last delivered one is due at its
  deadline (`freshness.expected_by` local time on the day after it ends); overdue by `warn_after_hours` is WARN,
  by `error_after_hours` ERROR. "Delivered" is read from the ledger, not from a materialization: landing a
  partition that had no file (status `no_delivery`) materializes the asset but delivers nothing.
- `delivery_volume` (partitioned like the asset; a range run records one result per partition): each partition's
  landed rows against the median of the source's `volume.history_partitions` previous delivered partitions.
- `inbox_files_match_contract`: every file in the source's inbox folder fits its contract; it also refreshes
  `ops.unmatched_deliveries` for the whole inbox.
"""

# No `from __future__ import annotations`: Dagster inspects the real type of the `context` annotation.
from collections.abc import Iterator, Mapping
from datetime import datetime
from statistics import median

from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetChecksDefinition,
    MetadataValue,
    Output,
    asset_check,
)

from pipelines import settings
from pipelines.assets.landing import landing_asset_key
from pipelines.deliveries.inbox import Unmatched, record_unmatched, scan_inbox, unmatched_table
from pipelines.deliveries.ledger import delivered_rows_by_partition
from pipelines.deliveries.rules import CITY_TIME, delivery_deadline, first_partition_key, next_partition_key
from pipelines.ingestion.contracts import SourceContract, load_contracts
from pipelines.partitions import partitions_for
from pipelines.quality.asset_checks import partition_evaluation
from pipelines.warehouse import warehouse_connection

FRESHNESS_CHECK = "delivery_freshness"
VOLUME_CHECK = "delivery_volume"
INBOX_CHECK = "inbox_files_match_contract"
# A median of fewer earlier partitions is one unusual day's noise, not a baseline.
MIN_HISTORY_PARTITIONS = 3


def now_in_city() -> datetime:
    return datetime.now(CITY_TIME)


def freshness_result(contract: SourceContract, delivered: set[str], now: datetime) -> AssetCheckResult:
    """Is the partition after the last delivered one overdue at `now`, and by how much?"""
    rule = contract.freshness
    last = max(delivered, default=None)
    due = next_partition_key(contract, last) if last else first_partition_key(contract)
    deadline = delivery_deadline(contract, due)
    hours_late = (now - deadline).total_seconds() / 3600
    metadata = {
        "last_delivered_partition": last or "none",
        "next_partition_due": due,
        "due_at": deadline.isoformat(timespec="minutes"),
        "hours_overdue": round(max(hours_late, 0.0), 1),
        "evaluated_at": now.astimezone(CITY_TIME).isoformat(timespec="minutes"),
        "rule": f"expected by {rule.expected_by:%H:%M} {settings.TIMEZONE}; WARN after {rule.warn_after_hours:g} h, "
                f"ERROR after {rule.error_after_hours:g} h",
    }
    delivered_text = f"last delivered partition {last}" if last else "nothing delivered yet"
    if hours_late < rule.warn_after_hours:
        state = "not due yet" if hours_late < 0 else f"overdue {hours_late:.1f} h, within {rule.warn_after_hours:g} h"
        return AssetCheckResult(passed=True, metadata=metadata,
                                description=f"{contract.source}: {delivered_text}; {due} due {deadline:%Y-%m-%d %H:%M} ({state}).")
    severity = AssetCheckSeverity.ERROR if hours_late >= rule.error_after_hours else AssetCheckSeverity.WARN
    return AssetCheckResult(
        passed=False, severity=severity, metadata=metadata,
        description=f"{contract.source}: partition {due} not delivered, {hours_late:.1f} h after its deadline "
                    f"{deadline:%Y-%m-%d %H:%M} ({delivered_text}).",
    )


def volume_result(contract: SourceContract, partition_keys: list[str], rows_by_partition: dict[str, int]) -> AssetCheckResult:
    """Each partition's landed rows against the median of the source's previous delivered partitions."""
    rule = contract.volume
    delivered = sorted(rows_by_partition)
    lines = ["| partition | rows landed | median before | ratio | outcome |", "|---|---:|---:|---:|---|"]
    errors, warnings = [], []
    for key in partition_keys:
        history = [rows_by_partition[k] for k in delivered if k < key][-rule.history_partitions:]
        rows = rows_by_partition.get(key)
        baseline = median(history) if len(history) >= MIN_HISTORY_PARTITIONS else None
        ratio = rows / baseline if rows is not None and baseline else None
        if rows is None:
            outcome = "no delivery"
            warnings.append(key)
        elif ratio is None:
            outcome = f"no baseline ({len(history)} earlier partitions)"
        elif ratio < rule.error_below_ratio:
            outcome = f"ERROR: below {rule.error_below_ratio:g} of the median"
            errors.append(key)
        elif ratio < rule.warn_below_ratio:
            outcome = f"WARN: below {rule.warn_below_ratio:g} of the median"
            warnings.append(key)
        else:
            outcome = "ok"
        lines.append(f"| {key} | {'' if rows is None else rows} | {'' if baseline is None else f'{baseline:g}'} "
                     f"| {'' if ratio is None else f'{ratio:.2f}'} | {outcome} |")
    metadata = {"partitions": MetadataValue.md("\n".join(lines)),
                "rule": f"median of {rule.history_partitions} previous partitions; WARN below "
                        f"{rule.warn_below_ratio:g}, ERROR below {rule.error_below_ratio:g}"}
    if len(partition_keys) == 1 and partition_keys[0] in rows_by_partition:
        metadata["rows_landed"] = rows_by_partition[partition_keys[0]]
    if not errors and not warnings:
        return AssetCheckResult(passed=True, metadata=metadata,
                                description=f"{len(partition_keys)} partition(s) within the volume rule.")
    failed = errors + warnings
    return AssetCheckResult(
        passed=False, metadata=metadata,
        severity=AssetCheckSeverity.ERROR if errors else AssetCheckSeverity.WARN,
        description=f"{len(failed)} of {len(partition_keys)} partition(s) below the volume rule or not delivered: "
                    f"{', '.join(sorted(failed)[:10])}{' …' if len(failed) > 10 else ''}.",
    )


def inbox_result(contract: SourceContract, unmatched: list[Unmatched]) -> AssetCheckResult:
    if not unmatched:
        return AssetCheckResult(passed=True, description=f"Every file in {contract.source}/ fits the contract.")
    return AssetCheckResult(
        passed=False, severity=AssetCheckSeverity.WARN,
        description=f"{len(unmatched)} file(s) in the inbox match no contract and are not landed: "
                    + ", ".join(f"{u.file.relative} ({u.reason})" for u in unmatched[:5])
                    + (" …" if len(unmatched) > 5 else ""),
        metadata={"unmatched_files": MetadataValue.md(unmatched_table(unmatched)), "count": len(unmatched)},
    )


def _freshness_check(contract: SourceContract) -> AssetChecksDefinition:
    rule = contract.freshness

    @asset_check(
        asset=landing_asset_key(contract.source), name=FRESHNESS_CHECK, blocking=False,
        description=f"Delivered by {rule.expected_by:%H:%M} ({settings.TIMEZONE}) the day after each partition "
                    f"ends; WARN {rule.warn_after_hours:g} h later, ERROR {rule.error_after_hours:g} h later "
                    f"(contracts/{contract.path.name}, freshness).",
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        with warehouse_connection() as connection:
            delivered = set(delivered_rows_by_partition(connection, contract.source))
        return freshness_result(contract, delivered, now_in_city())

    return _check


def _volume_check(contract: SourceContract) -> AssetChecksDefinition:
    rule = contract.volume
    partitions_def = partitions_for(contract)

    @asset_check(
        asset=landing_asset_key(contract.source), name=VOLUME_CHECK, blocking=False, partitions_def=partitions_def,
        description=f"Rows landed per partition against the median of the {rule.history_partitions} previous "
                    f"delivered partitions: WARN below {rule.warn_below_ratio:g}, ERROR below "
                    f"{rule.error_below_ratio:g} (contracts/{contract.path.name}, volume).",
    )
    def _check(context: AssetCheckExecutionContext) -> Iterator[AssetCheckResult | AssetCheckEvaluation | Output]:
        with warehouse_connection() as connection:
            rows = delivered_rows_by_partition(connection, contract.source)
        if context.has_partition_key:
            yield volume_result(contract, [context.partition_key], rows)
            return
        # a range run (backfill) records each partition's own result, as the GX checks do
        [spec] = context.check_specs
        keys = partitions_def.get_partition_keys_in_range(context.partition_key_range) \
            if context.has_partition_key_range else partitions_def.get_partition_keys()
        for key in keys:
            yield partition_evaluation(spec, key, volume_result(contract, [key], rows))
        yield Output(None, output_name=context.job_def.asset_layer.get_op_output_name(spec.key))

    return _check


def _inbox_check(contract: SourceContract) -> AssetChecksDefinition:
    @asset_check(
        asset=landing_asset_key(contract.source), name=INBOX_CHECK, blocking=False,
        description=f"Every file in <inbox>/{contract.source}/ fits contracts/{contract.path.name}; files that "
                    "do not are listed here and in ops.unmatched_deliveries, never landed.",
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        now = now_in_city()
        scan = scan_inbox(load_contracts().values(), settings.inbox_dir(), now)
        with warehouse_connection() as connection:
            record_unmatched(connection, scan, now)
        return inbox_result(contract, scan.unmatched_of(contract.source))

    return _check


def build_delivery_checks(contracts: Mapping[str, SourceContract] | None = None) -> list[AssetChecksDefinition]:
    return [build(contract) for contract in (contracts or load_contracts()).values()
            for build in (_freshness_check, _volume_check, _inbox_check)]
