"""Record a partition's load in `ops.ingestion_ledger` and `ops.quarantine`, each in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.ingestion.ops_tables import LEDGER_COLUMNS, QUARANTINE_COLUMNS
from pipelines.ingestion.records import SOURCE_ROW

# Ledger statuses of files not read: they never replace landed data and are replaced by the next load.
NOT_READ_STATUSES = ("no_delivery", "refused", "incomplete")
FILE_REJECT_SCHEMA = pa.schema([("source_row", pa.int64()), ("reason", pa.string()), ("detail", pa.string()),
                                ("raw_record", pa.string())])


@dataclass
class FileLoad:
    source_file: str
    file_sha256: str
    encoding: str | None
    status: str
    rows_read: int
    rows_landed: int
    rows_quarantined: int
    detail: str


@dataclass
class PartitionLoad:
    source: str
    partition_key: str
    load_id: str
    landed_path: Path
    files: list[FileLoad] = field(default_factory=list)
    quarantined_by_reason: Counter = field(default_factory=Counter)
    kept_landed_data: bool = False  # nothing was read, so the partition kept what an earlier load landed
    rows_kept: int = 0  # the rows of that earlier load

    @property
    def rows_in_partition(self) -> int:
        return self.rows_kept if self.kept_landed_data else self.rows_landed

    @property
    def rows_read(self) -> int:
        return sum(file.rows_read for file in self.files)

    @property
    def rows_landed(self) -> int:
        return sum(file.rows_landed for file in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(file.rows_quarantined for file in self.files)


def hashes_landed_in_other_partitions(connection, source: str, partition_key: str) -> dict[str, str]:
    rows = connection.execute(
        f"""select file_sha256, any_value(source_file) from ops.ingestion_ledger
           where source = ? and partition_key <> ? and file_sha256 <> ''
             and status not in ('duplicate_delivery', {_sql_list(NOT_READ_STATUSES)})
           group by file_sha256""",
        [source, partition_key],
    ).fetchall()
    return dict(rows)


def record_load(connection: duckdb.DuckDBPyConnection, classified: str, rejects: pa.Table,
                load: PartitionLoad) -> None:
    """Replace the partition's ledger and quarantine rows with this load's."""
    now = datetime.now(timezone.utc)
    keys = [load.source, load.partition_key]
    connection.register("load_rejects", rejects)
    try:
        _in_transaction(connection, load, now, [
            ("delete from ops.ingestion_ledger where source = ? and partition_key = ?", keys),
            ("delete from ops.quarantine where source = ? and partition_key = ?", keys),
            (f"""
            insert into ops.quarantine ({', '.join(QUARANTINE_COLUMNS)})
            select '{load.load_id}', ?, ?, source_file, source_row, reason, detail, raw_record, ?
            from load_rejects
            union all
            select '{load.load_id}', ?, ?, _source_file, {SOURCE_ROW}, _reason,
                   case _reason when 'missing_required' then 'a required column is empty'
                                else 'same values as an earlier record of this partition' end,
                   _raw_record, ?
            from {classified} where _reason is not null
            """, [*keys, now, *keys, now]),
        ])
    finally:
        connection.unregister("load_rejects")


def record_files_not_read(connection: duckdb.DuckDBPyConnection, load: PartitionLoad) -> None:
    """Nothing was read: keep the landed load's rows, replace earlier rows of files not read with this load's."""
    load.rows_kept = connection.execute(
        f"select coalesce(sum(rows_landed), 0) from ops.ingestion_ledger where source = ? and partition_key = ? "
        f"and status not in ({_sql_list(NOT_READ_STATUSES)})", [load.source, load.partition_key]).fetchall()[0][0]
    _in_transaction(connection, load, datetime.now(timezone.utc), [(
        f"delete from ops.ingestion_ledger where source = ? and partition_key = ? "
        f"and status in ({_sql_list(NOT_READ_STATUSES)})",
        [load.source, load.partition_key],
    )])


def _in_transaction(connection, load: PartitionLoad, now: datetime, statements: list[tuple[str, list]]) -> None:
    ledger = pa.Table.from_pylist([
        {"load_id": load.load_id, "source": load.source, "partition_key": load.partition_key,
         "source_file": f.source_file, "file_sha256": f.file_sha256, "encoding": f.encoding, "status": f.status,
         "rows_read": f.rows_read, "rows_landed": f.rows_landed, "rows_quarantined": f.rows_quarantined,
         "detail": f.detail or None, "loaded_at": now}
        for f in load.files
    ], schema=_ledger_schema())
    connection.register("load_ledger", ledger)
    connection.execute("begin transaction")
    try:
        for sql, parameters in statements:
            connection.execute(sql, parameters)
        connection.execute(f"insert into ops.ingestion_ledger ({', '.join(LEDGER_COLUMNS)}) select * from load_ledger")
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    finally:
        connection.unregister("load_ledger")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _ledger_schema() -> pa.Schema:
    return pa.schema([
        ("load_id", pa.string()), ("source", pa.string()), ("partition_key", pa.string()),
        ("source_file", pa.string()), ("file_sha256", pa.string()), ("encoding", pa.string()),
        ("status", pa.string()), ("rows_read", pa.int64()), ("rows_landed", pa.int64()),
        ("rows_quarantined", pa.int64()), ("detail", pa.string()), ("loaded_at", pa.timestamp("us", tz="UTC")),
    ])
