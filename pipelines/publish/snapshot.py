"""Immutable serving snapshots and the atomic switch of the serving entry point.

A snapshot is a DuckDB file `<serving>/snapshots/<snapshot_id>.duckdb` holding schema `marts` (a copy of every
published mart) and the one-row table `meta.publication`. It is written by the process that holds the build
warehouse (through `ATTACH`, under the warehouse lock), made read-only (0444) and never changed again. The
serving entry point `<serving>/city.duckdb` is then replaced by a hard link to it (`os.replace`, atomic): a reader
that has the old file open keeps reading the old snapshot, a new connection sees the new one, and no writer ever
opens the serving file.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.publish.marts import MARTS_SCHEMA, Mart

META_TABLE = "meta.publication"
SNAPSHOT_SUFFIX = ".duckdb"
READ_ONLY = 0o444
READABLE_FOLDER = 0o755
# The oldest storage format the snapshot is written in: DuckDB 1.0 and later (BI tools' drivers, the duckdb CLI)
# can open it, whatever newer DuckDB the pipeline runs.
STORAGE_VERSION = "v1.0.0"


class SnapshotError(RuntimeError):
    """A snapshot cannot be written or switched to."""


def new_snapshot_id(published_at: datetime) -> str:
    """Sortable by time and unique: `20260301T020000123456Z-3fa2`."""
    return f"{published_at.astimezone(timezone.utc):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(2)}"


def snapshot_file(snapshot_id: str) -> Path:
    return settings.snapshots_dir() / f"{snapshot_id}{SNAPSHOT_SUFFIX}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def write_snapshot(
    build: duckdb.DuckDBPyConnection,
    marts: tuple[Mart, ...],
    *,
    snapshot_id: str,
    published_at: datetime,
    run_id: str,
    partitions: str,
    checks: dict,
) -> dict:
    """Copy the marts from the build warehouse (`build`, opened under the warehouse lock) into a new snapshot
    file and return its manifest. The file appears under its final name only once complete and read-only."""
    folder = readable_folder(settings.snapshots_dir())
    final = snapshot_file(snapshot_id)
    partial = folder / f".{snapshot_id}{SNAPSHOT_SUFFIX}.partial"
    missing = [m.name for m in marts if not _table_exists(build, m.name)]
    if missing:
        raise SnapshotError(f"Cannot publish: marts not built in the warehouse: {', '.join(missing)}")
    build.execute(f"ATTACH {_literal(str(partial))} AS snapshot (STORAGE_VERSION '{STORAGE_VERSION}')")
    try:
        build.execute(f"CREATE SCHEMA snapshot.{MARTS_SCHEMA}; CREATE SCHEMA snapshot.meta")
        tables = {}
        for mart in marts:
            target = f"snapshot.{MARTS_SCHEMA}.{_quote(mart.name)}"
            build.execute(f"CREATE TABLE {target} AS SELECT * FROM {MARTS_SCHEMA}.{_quote(mart.name)}")
            tables[f"{MARTS_SCHEMA}.{mart.name}"] = table_fingerprint(build, target)
        manifest = {"snapshot_id": snapshot_id, "tables": tables, "checks": checks}
        build.execute(
            f"CREATE TABLE snapshot.{META_TABLE} (snapshot_id VARCHAR, published_at TIMESTAMPTZ, run_id VARCHAR, "
            "partitions VARCHAR, manifest JSON)"
        )
        build.execute(
            f"INSERT INTO snapshot.{META_TABLE} VALUES (?, ?, ?, ?, ?)",
            [snapshot_id, published_at, run_id, partitions, json.dumps(manifest, sort_keys=True)],
        )
    except BaseException:
        build.execute("DETACH snapshot")
        partial.unlink(missing_ok=True)
        raise
    build.execute("DETACH snapshot")  # checkpoints: the file is complete, with no write-ahead log beside it
    os.chmod(partial, READ_ONLY)
    os.replace(partial, final)
    _sync_folder(folder)
    return manifest


def readable_folder(folder: Path) -> Path:
    """The serving folders are for readers: 0755 although the pipeline's umask is owner-only."""
    for path in (folder.parent, folder):
        path.mkdir(exist_ok=True, parents=True)
        os.chmod(path, READABLE_FOLDER)
    return folder


def table_fingerprint(connection: duckdb.DuckDBPyConnection, relation: str) -> dict:
    """Row count and an order-independent checksum (sum of DuckDB row hashes, as 16 hex digits)."""
    rows, checksum = connection.execute(
        f"SELECT count(*), coalesce(sum(hash(t)), 0) % 18446744073709551616 FROM {relation} AS t"
    ).fetchone()
    return {"rows": rows, "checksum": f"{int(checksum):016x}"}


def _table_exists(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    return connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [MARTS_SCHEMA, name],
    ).fetchone()[0] == 1


def switch_serving(snapshot_id: str) -> None:
    """Point the serving entry point at a snapshot: a hard link beside it, then an atomic rename over it."""
    target = snapshot_file(snapshot_id)
    if not target.exists():
        raise SnapshotError(f"Snapshot {snapshot_id} is not on disk ({target}); it may have been pruned.")
    serving = settings.serving_path()
    staged = serving.with_name(f".{serving.name}.{snapshot_id}.staged")
    staged.unlink(missing_ok=True)
    try:
        os.link(target, staged)
    except OSError:  # another file system, or no hard links: a copy beside the entry point does as well
        import shutil

        shutil.copyfile(target, staged)
        os.chmod(staged, READ_ONLY)
    os.replace(staged, serving)
    _sync_folder(serving.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def current_snapshot(connection: duckdb.DuckDBPyConnection) -> dict:
    """The publication row of the snapshot `connection` reads (the serving file or a snapshot file), with its
    manifest parsed: {snapshot_id, published_at, run_id, partitions, manifest}."""
    row = connection.execute(
        f"SELECT snapshot_id, published_at, run_id, partitions, manifest FROM {META_TABLE}"
    ).fetchone()
    if row is None:
        raise SnapshotError("The snapshot has no publication row in meta.publication.")
    snapshot_id, published_at, run_id, partitions, manifest = row
    return {"snapshot_id": snapshot_id, "published_at": published_at, "run_id": run_id,
            "partitions": partitions, "manifest": json.loads(manifest)}


def open_serving() -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current snapshot, as a BI tool or the sharing service opens it."""
    serving = settings.serving_path()
    if not serving.exists():
        raise SnapshotError(f"Nothing is published yet: {serving} does not exist (run the daily job or `make demo`).")
    return duckdb.connect(str(serving), read_only=True)
