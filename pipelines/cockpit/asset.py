"""The Dagster asset `["serving", "cockpit"]`: the static HTML cockpit, rebuilt after each publication."""

# No `from __future__ import annotations`: Dagster inspects the real type of the `context` annotation.
from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, MetadataValue, asset

from pipelines.cockpit.site import build_cockpit
from pipelines.partitions import governance_daily_partitions
from pipelines.publish.asset import PUBLICATION_KEY


@asset(
    key=AssetKey(["serving", "cockpit"]),
    deps=[PUBLICATION_KEY],
    group_name="serving",
    # partitioned like the publication so it runs in the same daily job; it always shows the whole snapshot
    partitions_def=governance_daily_partitions(),
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"html"},
    owners=["team:city-data-platform"],
    description="The cockpit (驾驶舱): a static HTML site of the published snapshot (ranking, indicator trends, risk "
                "hotspots, multi-channel cases, data quality; links to dbt docs and the checks), under "
                "warehouse/serving/cockpit/. Works offline: the Vega JS is vendored. `make cockpit` opens it.",
)
def cockpit(context: AssetExecutionContext) -> MaterializeResult:
    summary = build_cockpit()
    context.log.info(f"Cockpit of snapshot {summary['snapshot_id']}: {summary['index']}")
    return MaterializeResult(metadata={
        "snapshot_id": summary["snapshot_id"],
        "index": MetadataValue.path(str(summary["index"])),
        "charts": summary["charts"],
        "panels_without_data": MetadataValue.json(summary["no_data"]),
    })
