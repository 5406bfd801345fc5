"""The Dagster asset `["sharing", "exports"]`: every department's export package, after each publication."""

# No `from __future__ import annotations`: Dagster inspects the real type of the `context` annotation.
from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, MetadataValue, asset

from pipelines import settings
from pipelines.partitions import governance_daily_partitions
from pipelines.sharing.catalog import load_sharing_config
from pipelines.sharing.exports import export_all

PUBLICATION_KEY = AssetKey(["serving", "publication"])


@asset(
    key=AssetKey(["sharing", "exports"]),
    deps=[PUBLICATION_KEY],
    group_name="sharing",
    # partitioned like the publication so it runs in the same daily job; it always exports the whole snapshot
    partitions_def=governance_daily_partitions(),
    backfill_policy=BackfillPolicy.single_run(),
    kinds={"parquet", "csv", "xlsx"},
    owners=["team:city-data-platform"],
    description="Per department: its granted data of the published snapshot as Parquet, CSV (UTF-8 BOM) and XLSX, "
                "with a manifest of checksums, under warehouse/exports/<department>/<snapshot_id>/. Audited.",
)
def sharing_exports(context: AssetExecutionContext) -> MaterializeResult:
    manifests = export_all(load_sharing_config())
    lines = ["| department | datasets | files | rows | refused |", "|---|---:|---:|---:|---|"]
    lines += [f"| {m['department']} | {len(m['datasets'])} | {len(m['files'])} | "
              f"{sum(f['rows'] for f in m['files'] if f['format'] == 'parquet'):,} | "
              f"{', '.join(r['dataset'] for r in m['refused'])} |" for m in manifests]
    return MaterializeResult(metadata={
        "snapshot_id": manifests[0]["snapshot_id"] if manifests else "none",
        "exports_dir": str(settings.exports_dir()),
        "departments": MetadataValue.md("\n".join(lines)),
    })
