"""`ops.publications` in the build warehouse: one row per published snapshot.

status: `current` (what the serving entry point shows), `superseded` (an older one, kept on disk while it is among
the last CITYBRAIN_SERVING_KEEP), `rolled_back` (withdrawn by a rollback). `file_removed_at` is set when the
snapshot's file was pruned.
"""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

CURRENT, SUPERSEDED, ROLLED_BACK = "current", "superseded", "rolled_back"

_DDL = """
create schema if not exists ops;
create table if not exists ops.publications (
    snapshot_id varchar not null,
    published_at timestamptz not null,
    run_id varchar,
    partitions varchar,
    manifest json not null,
    checks_passed integer not null,
    status varchar not null,
    status_changed_at timestamptz not null,
    snapshot_file varchar not null,
    file_removed_at timestamptz
)
"""
COLUMNS = ("snapshot_id", "published_at", "run_id", "partitions", "manifest", "checks_passed", "status",
           "status_changed_at", "snapshot_file", "file_removed_at")


def ensure_publications_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(_DDL)


def record_publication(
    connection: duckdb.DuckDBPyConnection, manifest: dict, *, published_at: datetime, run_id: str,
    partitions: str, snapshot_file: str,
) -> None:
    """The new snapshot becomes `current`; the one it replaces becomes `superseded`."""
    ensure_publications_table(connection)
    connection.execute("update ops.publications set status = ?, status_changed_at = ? where status = ?",
                       [SUPERSEDED, published_at, CURRENT])
    connection.execute(
        "insert into ops.publications values (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        [manifest["snapshot_id"], published_at, run_id, partitions, json.dumps(manifest, sort_keys=True),
         len(manifest["checks"]["passed"]), CURRENT, published_at, snapshot_file],
    )


def publications(connection: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every publication, newest first."""
    ensure_publications_table(connection)
    rows = connection.execute(f"select {', '.join(COLUMNS)} from ops.publications order by published_at desc").fetchall()
    return [dict(zip(COLUMNS, row)) for row in rows]


def set_status(connection: duckdb.DuckDBPyConnection, snapshot_id: str, status: str, at: datetime) -> None:
    connection.execute("update ops.publications set status = ?, status_changed_at = ? where snapshot_id = ?",
                       [status, at, snapshot_id])


def mark_file_removed(connection: duckdb.DuckDBPyConnection, snapshot_id: str, at: datetime) -> None:
    connection.execute("update ops.publications set file_removed_at = ? where snapshot_id = ?", [at, snapshot_id])
