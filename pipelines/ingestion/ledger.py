"""Record a run's loads in `ops.ingestion_ledger` and `ops.quarantine`, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.ingestion.ops_tables import LEDGER_COLUMNS, QUARANTINE_COLUMNS
from pipelines.ingestion.records import SOURCE_ROW
from pipelines.warehouse import transaction

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
    delivered_at: datetime | None = None


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


def landed_file_hashes(connection, source: str) -> list[tuple[str, str, str]]:
    """(file_sha256, partition_key, source_file) of every file the ledger holds as read for the source."""
    return connection.execute(
        f"""select file_sha256, partition_key, source_file from ops.ingestion_ledger
           where source = ? and file_sha256 <> ''
             and status not in ('duplicate_delivery', {_sql_list(NOT_READ_STATUSES)})
           order by partition_key, source_file""",
        [source],
    ).fetchall()


def rows_kept(connection, source: str, partition_keys: list[str]) -> dict[str, int]:
    """Rows landed by the partitions' current loads, for partitions that keep them."""
    return dict(connection.execute(
        f"select partition_key, coalesce(sum(rows_landed), 0) from ops.ingestion_ledger "
        f"where source = ? and partition_key in (select unnest(?::varchar[])) "
        f"and status not in ({_sql_list(NOT_READ_STATUSES)}) group by partition_key",
        [source, partition_keys]).fetchall())


def record_loads(connection: duckdb.DuckDBPyConnection, source: str, loads: list[PartitionLoad],
                 classified: str, rejects: pa.Table) -> None:
    """One transaction for the run: partitions that were read replace their ledger and quarantine rows; those that
    kept their landed data replace only the rows of files not read."""
    now = datetime.now(timezone.utc)
    replaced = [load.partition_key for load in loads if not load.kept_landed_data]
    kept = [load.partition_key for load in loads if load.kept_landed_data]
    ledger = pa.Table.from_pylist([
        {"load_id": load.load_id, "source": load.source, "partition_key": load.partition_key,
         "source_file": f.source_file, "file_sha256": f.file_sha256, "encoding": f.encoding, "status": f.status,
         "rows_read": f.rows_read, "rows_landed": f.rows_landed, "rows_quarantined": f.rows_quarantined,
         "detail": f.detail or None, "delivered_at": f.delivered_at, "loaded_at": now}
        for load in loads for f in load.files
    ], schema=_ledger_schema())
    connection.register("run_ledger", ledger)
    connection.register("run_rejects", rejects)
    keys_in = "partition_key in (select unnest(?::varchar[]))"
    statements = [
        (f"delete from ops.ingestion_ledger where source = ? and {keys_in}", [source, replaced]),
        (f"delete from ops.ingestion_ledger where source = ? and {keys_in} "
         f"and status in ({_sql_list(NOT_READ_STATUSES)})", [source, kept]),
        (f"delete from ops.quarantine where source = ? and {keys_in}", [source, replaced]),
        (f"""
        insert into ops.quarantine ({', '.join(QUARANTINE_COLUMNS)})
        select load_id, ?, partition_key, source_file, source_row, reason, detail, raw_record, ?
        from run_rejects
        union all
        select _load_id, ?, partition_key, _source_file, {SOURCE_ROW}, _reason,
               case _reason when 'missing_required' then 'a required column is empty'
                            else 'same values as an earlier record of this partition' end,
               _raw_record, ?
        from {classified}_quarantined
        """, [source, now, source, now]),
        (f"insert into ops.ingestion_ledger ({', '.join(LEDGER_COLUMNS)}) select * from run_ledger", []),
    ]
    try:
        with transaction(connection):
            for sql, parameters in statements:
                connection.execute(sql, parameters)
    finally:
        connection.unregister("run_ledger")
        connection.unregister("run_rejects")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _ledger_schema() -> pa.Schema:
    return pa.schema([
        ("load_id", pa.string()), ("source", pa.string()), ("partition_key", pa.string()),
        ("source_file", pa.string()), ("file_sha256", pa.string()), ("encoding", pa.string()),
        ("status", pa.string()), ("rows_read", pa.int64()), ("rows_landed", pa.int64()),
        ("rows_quarantined", pa.int64()), ("detail", pa.string()),
        ("delivered_at", pa.timestamp("us", tz="UTC")), ("loaded_at", pa.timestamp("us", tz="UTC")),
    ])
