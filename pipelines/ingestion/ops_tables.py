"""The warehouse's operational tables: the ingestion ledger and the quarantine (schema `ops`)."""

from __future__ import annotations

import duckdb

LEDGER_COLUMNS = (
    "load_id", "source", "partition_key", "source_file", "file_sha256", "encoding", "status",
    "rows_read", "rows_landed", "rows_quarantined", "detail", "delivered_at", "loaded_at",
)
QUARANTINE_COLUMNS = (
    "load_id", "source", "partition_key", "source_file", "source_row", "reason", "detail", "raw_record",
    "quarantined_at",
)

_DDL = """
create schema if not exists ops;
create table if not exists ops.ingestion_ledger (
    load_id varchar not null,
    source varchar not null,
    partition_key varchar not null,
    source_file varchar not null,
    file_sha256 varchar not null,
    encoding varchar,
    status varchar not null,
    rows_read bigint not null,
    rows_landed bigint not null,
    rows_quarantined bigint not null,
    detail varchar,
    delivered_at timestamptz,
    loaded_at timestamptz not null,
    check (rows_read = rows_landed + rows_quarantined)
);
create table if not exists ops.quarantine (
    load_id varchar not null,
    source varchar not null,
    partition_key varchar not null,
    source_file varchar not null,
    source_row bigint,
    reason varchar not null,
    detail varchar,
    raw_record varchar,
    quarantined_at timestamptz not null
);
-- ledgers created before the delivery time was recorded
alter table ops.ingestion_ledger add column if not exists delivered_at timestamptz;
"""


def ensure_ops_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(_DDL)
