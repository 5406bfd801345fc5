"""The Dagster side of publishing: the asset `["serving", "publication"]` and the hook that says what held it."""

# No `from __future__ import annotations`: Dagster inspects the real type of the `context` annotation.
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    BackfillPolicy,
    Failure,
    HookContext,
    MaterializeResult,
    MetadataValue,
    asset,
    failure_hook,
)

from pipelines import settings
from pipelines.partitions import governance_daily_partitions
from pipelines.publish import registry
from pipelines.publish.gate import failed_error_checks_of_run, gate_report, upstream_check_keys
from pipelines.publish.marts import MARTS_SCHEMA, published_marts
from pipelines.publish.publisher import publish
from pipelines.warehouse import warehouse_connection

PUBLICATION_KEY = AssetKey(["serving", "publication"])


def _partitions(context: AssetExecutionContext) -> str:
    keys = context.partition_key_range
    return keys.start if keys.start == keys.end else f"{keys.start}..{keys.end}"


@asset(
    key=PUBLICATION_KEY,
    deps=[AssetKey([MARTS_SCHEMA, mart.name]) for mart in published_marts()],
    group_name="serving",
    partitions_def=governance_daily_partitions(),
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"duckdb"},
    owners=["team:city-data-platform"],
    description="An immutable snapshot of every mart, published to warehouse/serving/city.duckdb (what BI tools "
                "and the sharing service read) only when no check upstream failed with severity ERROR.",
)
def publication(context: AssetExecutionContext) -> MaterializeResult:
    from pipelines.definitions import defs  # the whole code location: a job's own graph lacks the dimensions

    gate = gate_report(context.instance, upstream_check_keys(defs.resolve_asset_graph(), PUBLICATION_KEY))
    if gate.held_by:
        raise Failure(
            description="Publication held: the last good snapshot stays. Failed ERROR checks: "
                        + ", ".join(gate.held_by),
            metadata={"held_by": MetadataValue.json(list(gate.held_by))},
        )
    with warehouse_connection() as build:
        manifest = publish(build, run_id=context.run_id, partitions=_partitions(context),
                           checks=gate.manifest_checks())
    return MaterializeResult(metadata={
        "snapshot_id": manifest["snapshot_id"],
        "serving_file": str(settings.serving_path()),
        "checks_passed": len(gate.passed),
        "checks_warned": MetadataValue.json(list(gate.warned)),
        "tables": MetadataValue.md(_tables_markdown(manifest["tables"])),
        "dagster/row_count": sum(table["rows"] for table in manifest["tables"].values()),
    })


def _tables_markdown(tables: dict) -> str:
    lines = ["| table | rows | checksum |", "|---|---:|---|"]
    lines += [f"| {name} | {table['rows']:,} | {table['checksum']} |" for name, table in sorted(tables.items())]
    return "\n".join(lines)


@failure_hook(name="publication_held")
def publication_held(context: HookContext) -> None:
    """A failed step in a run that would publish: say in the run's log and on the publication asset which ERROR
    checks (or which step) held the publication, and which snapshot stays served."""
    failed_checks = failed_error_checks_of_run(context.instance, context.run_id)
    # a publication held by the gate names the checks it found failed in earlier runs (a landing job's)
    gate_held = getattr(context.op_exception, "metadata", {}).get("held_by")
    held_by = failed_checks or (gate_held.value if gate_held else [f"step {context.step_key} failed"])
    with warehouse_connection() as build:
        current = next((row["snapshot_id"] for row in registry.publications(build)
                        if row["status"] == registry.CURRENT), None)
    message = (f"Publication held by {', '.join(held_by)}; "
               + (f"snapshot {current} stays served." if current else "nothing is published yet."))
    context.log.error(message)
    context.instance.report_runless_asset_event(AssetObservation(
        asset_key=PUBLICATION_KEY,
        description=message,
        metadata={"held_by": MetadataValue.json(held_by), "run_id": context.run_id,
                  "serving_snapshot": current or "none"},
    ))
