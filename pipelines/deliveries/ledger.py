"""What the ingestion ledger says about deliveries: which partitions were delivered, with how many rows, and
which file versions have been processed."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.ingestion.ledger import NOT_READ_STATUSES
from pipelines.ingestion.ops_tables import ensure_ops_tables

# Ledger statuses that are not a delivery of the partition: files not read (nothing delivered, a refused path, a
# file still being written) and byte-identical copies of a file already delivered.
NOT_A_DELIVERY = (*NOT_READ_STATUSES, "duplicate_delivery")
_DELIVERED = (f"coalesce(source_file, '') <> '' and status not in "
              f"({', '.join(repr(status) for status in NOT_A_DELIVERY)})")


def delivered_rows_by_partition(connection: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    """Rows landed per delivered partition of the source (partitions with no delivered file are absent)."""
    ensure_ops_tables(connection)
    return dict(connection.execute(
        f"select partition_key, sum(rows_landed)::bigint from ops.ingestion_ledger "
        f"where source = ? and {_DELIVERED} group by partition_key", [source]).fetchall())


def processed_file_versions(connection: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """When each inbox file (path relative to the inbox) was last landed, refused or rejected by a landing."""
    ensure_ops_tables(connection)
    return dict(connection.execute(
        "select source_file, max(loaded_at) from ops.ingestion_ledger "
        "where coalesce(source_file, '') <> '' and status <> 'incomplete' group by source_file").fetchall())
