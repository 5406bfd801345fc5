"""Publish, roll back, prune: the operations on the serving area, run by the process holding the build warehouse."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb

from pipelines import settings
from pipelines.publish import registry
from pipelines.publish.marts import Mart, published_marts
from pipelines.publish.personal import assert_no_personal_columns
from pipelines.publish.snapshot import SnapshotError, new_snapshot_id, snapshot_file, switch_serving, write_snapshot
from pipelines.warehouse import transaction


def publish(
    build: duckdb.DuckDBPyConnection, *, run_id: str, partitions: str, checks: dict,
    marts: tuple[Mart, ...] | None = None,
) -> dict:
    """Snapshot the marts (default: every mart of the dbt manifest) of the build warehouse, switch the serving
    entry point to it, record it, prune. `build` is a connection to the build warehouse opened under the
    warehouse lock. Returns the manifest."""
    marts = published_marts() if marts is None else marts
    assert_no_personal_columns(build, marts)
    published_at = datetime.now(timezone.utc)
    snapshot_id = new_snapshot_id(published_at)
    manifest = write_snapshot(build, marts, snapshot_id=snapshot_id, published_at=published_at, run_id=run_id,
                              partitions=partitions, checks=checks)
    with transaction(build):
        registry.record_publication(build, manifest, published_at=published_at, run_id=run_id,
                                    partitions=partitions, snapshot_file=str(snapshot_file(snapshot_id)))
        switch_serving(snapshot_id)
    prune(build)
    return manifest


def rollback(build: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """Serve the snapshot published before the current one again; the current one is marked `rolled_back`.
    Returns (withdrawn id, restored id)."""
    rows = registry.publications(build)
    current = next((row for row in rows if row["status"] == registry.CURRENT), None)
    if current is None:
        raise SnapshotError("Nothing to roll back: no publication is current.")
    previous = next(
        (row for row in rows
         if row["status"] == registry.SUPERSEDED and row["published_at"] < current["published_at"]
         and row["file_removed_at"] is None and snapshot_file(row["snapshot_id"]).exists()),
        None,
    )
    if previous is None:
        raise SnapshotError(f"Cannot roll back {current['snapshot_id']}: no earlier snapshot is kept on disk.")
    now = datetime.now(timezone.utc)
    with transaction(build):
        registry.set_status(build, current["snapshot_id"], registry.ROLLED_BACK, now)
        registry.set_status(build, previous["snapshot_id"], registry.CURRENT, now)
        switch_serving(previous["snapshot_id"])
    return current["snapshot_id"], previous["snapshot_id"]


def prune(build: duckdb.DuckDBPyConnection) -> list[str]:
    """Delete the files of all but the newest CITYBRAIN_SERVING_KEEP snapshots (never the current one)."""
    keep = settings.serving_keep()
    on_disk = [row for row in registry.publications(build) if row["file_removed_at"] is None]
    removed = []
    now = datetime.now(timezone.utc)
    for row in on_disk[keep:]:
        if row["status"] == registry.CURRENT:
            continue
        snapshot_file(row["snapshot_id"]).unlink(missing_ok=True)
        registry.mark_file_removed(build, row["snapshot_id"], now)
        removed.append(row["snapshot_id"])
    return removed
