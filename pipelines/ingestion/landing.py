"""Land one partition of a source: read its delivered files, quarantine what cannot be used, write the rest
to Parquet with lineage, and record the load in `ops.ingestion_ledger`.

Landing a partition again replaces it (Parquet file, ledger rows and quarantine rows), so reruns and
re-deliveries never duplicate anything. For every file: rows_read = rows_landed + rows_quarantined.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import settings
from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.ops_tables import LEDGER_COLUMNS, QUARANTINE_COLUMNS, ensure_ops_tables
from pipelines.ingestion.readers import SOURCE_ROW, FileRead, Reject, UnreadableFileError, read_delivery

LINEAGE_COLUMNS = ("_source_file", "_source_row", "_load_id", "_ingested_at", "_record_hash")


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

    @property
    def rows_read(self) -> int:
        return sum(file.rows_read for file in self.files)

    @property
    def rows_landed(self) -> int:
        return sum(file.rows_landed for file in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(file.rows_quarantined for file in self.files)


def partition_files(contract: SourceContract, partition_key: str, inbox: Path) -> list[Path]:
    """The delivered files of one partition, in name order (the first delivery of a copy wins)."""
    folder = inbox / contract.source
    return sorted(path for path in folder.glob(contract.file_glob(date.fromisoformat(partition_key))) if path.is_file())


def landed_partition_path(contract: SourceContract, partition_key: str, landing: Path) -> Path:
    return landing / contract.source / f"partition_key={partition_key}" / "data.parquet"


def land_partition(
    contract: SourceContract,
    partition_key: str,
    connection: duckdb.DuckDBPyConnection,
    inbox: Path | None = None,
    landing: Path | None = None,
) -> PartitionLoad:
    inbox, landing = inbox or settings.inbox_dir(), landing or settings.landing_dir()
    ensure_ops_tables(connection)
    load = PartitionLoad(contract.source, partition_key, uuid.uuid4().hex,
                         landed_partition_path(contract, partition_key, landing))
    delivered_elsewhere = _hashes_landed_in_other_partitions(connection, contract.source, partition_key)
    accepted: list[tuple[str, FileRead]] = []
    file_rejects: dict[str, list[Reject]] = {}
    seen_here: dict[str, str] = {}
    for path in partition_files(contract, partition_key, inbox):
        relative = str(path.relative_to(inbox))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        original = seen_here.get(digest) or delivered_elsewhere.get(digest)
        seen_here.setdefault(digest, relative)
        file_load, read = _read_file(path, relative, digest, contract, connection, original)
        load.files.append(file_load)
        file_rejects[relative] = read.rejects
        if file_load.status == "landed":
            accepted.append((relative, read))
    classified = _classify_records(connection, contract, accepted, load)
    staged = _stage_landed(connection, classified, load)
    _count_per_file(connection, load, file_rejects)
    _record_load(connection, classified, file_rejects, load)
    os.replace(staged, load.landed_path)
    return load


def _hashes_landed_in_other_partitions(connection, source: str, partition_key: str) -> dict[str, str]:
    rows = connection.execute(
        """select file_sha256, any_value(source_file) from ops.ingestion_ledger
           where source = ? and partition_key <> ? and status <> 'duplicate_delivery' group by file_sha256""",
        [source, partition_key],
    ).fetchall()
    return dict(rows)


def _read_file(path, relative, digest, contract, engine, original) -> tuple[FileLoad, FileRead]:
    """Read one file; a copy of an earlier delivery or a file missing required columns is rejected whole."""
    try:
        read = read_delivery(path, contract, engine)
    except UnreadableFileError as error:
        read = FileRead(records=pa.table({SOURCE_ROW: pa.array([], pa.int64())}),
                        rejects=[Reject(None, "unreadable_file", str(error), "")])
        return FileLoad(relative, digest, None, "unreadable", 0, 0, 0, str(error)), read
    notes = list(read.notes)
    status = "landed"
    if original is not None:
        status = "duplicate_delivery"
        _reject_all(read, "duplicate_delivery", f"byte-identical to {original}", engine)
        notes.append(f"byte-identical to {original}, already delivered")
    else:
        missing_required = [name for name in read.missing_columns if name in contract.required_columns]
        if missing_required:
            status = "schema_drift"
            _reject_all(read, "schema_drift", "required columns missing: " + ", ".join(missing_required), engine)
    return FileLoad(relative, digest, read.encoding, status, 0, 0, 0, "; ".join(notes)), read


def _reject_all(read: FileRead, reason: str, detail: str, engine) -> None:
    """Every record of the file, read or not, goes to quarantine for one file-level reason."""
    columns = [name for name in read.records.column_names if name != SOURCE_ROW]
    engine.register("rejected_file", read.records)
    rows = engine.execute(f"select {SOURCE_ROW}, {_record_json(columns)} from rejected_file").fetchall()
    engine.unregister("rejected_file")
    read.rejects = [Reject(row, reason, detail, raw) for row, raw in rows] + [
        Reject(reject.source_row, reason, detail, reject.raw_record) for reject in read.rejects
    ]
    read.records = read.records.slice(0, 0)


def _record_json(columns: list[str]) -> str:
    """SQL for a record's delivered values as a JSON object, the quarantine's raw text for parsed records."""
    if not columns:
        return "'{}'"
    return "to_json(struct_pack(" + ", ".join(f'"{name}" := "{name}"' for name in columns) + "))::varchar"


def _classify_records(connection, contract: SourceContract, accepted, load: PartitionLoad) -> str:
    """One relation of every parsed record of the partition, with its hash and, if any, its quarantine reason.

    Returns the name of the temporary table holding it.
    """
    columns = [column.name for column in contract.columns]
    parts = [
        read.records.append_column("_source_file", pa.array([relative] * read.records.num_rows, pa.string()))
                    .append_column("_file_order", pa.array([order] * read.records.num_rows, pa.int64()))
        for order, (relative, read) in enumerate(accepted)
    ]
    schema = pa.schema([(name, pa.string()) for name in columns]
                       + [(SOURCE_ROW, pa.int64()), ("_source_file", pa.string()), ("_file_order", pa.int64())])
    records = pa.concat_tables([part.select(schema.names).cast(schema) for part in parts]) if parts \
        else schema.empty_table()
    missing = " or ".join(f"nullif(trim({name}), '') is null" for name in contract.required_columns) or "false"
    hash_input = "to_json([" + ", ".join(columns) + "])::varchar"
    connection.register("partition_records", records)
    connection.execute(f"""
        create or replace temp table classified_records as
        with hashed as (
            select *, sha256({hash_input}) as _record_hash, ({missing}) as _missing_required
            from partition_records
        )
        select *,
               case when _missing_required then 'missing_required'
                    when row_number() over (partition by _record_hash, _missing_required
                                            order by _file_order, {SOURCE_ROW}) > 1 then 'duplicate_record'
               end as _reason,
               {_record_json(columns)} as _raw_record
        from hashed
    """)
    connection.unregister("partition_records")
    return "classified_records"


def _stage_landed(connection, classified: str, load: PartitionLoad) -> Path:
    """Write the partition's good records with lineage to a Parquet file beside the landed one.

    It replaces the landed file (atomically) only once the ledger has recorded the load.
    """
    load.landed_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = load.landed_path.with_suffix(".parquet.tmp")
    ingested_at = datetime.now(timezone.utc).isoformat()
    connection.execute(f"""
        copy (
            select * exclude (_file_order, _missing_required, _reason, _raw_record, _record_hash,
                              _source_file, {SOURCE_ROW}),
                   _source_file, {SOURCE_ROW}, '{load.load_id}' as _load_id,
                   '{ingested_at}'::timestamptz as _ingested_at, _record_hash
            from {classified} where _reason is null order by _file_order, {SOURCE_ROW}
        ) to '{temporary}' (format parquet, compression zstd)
    """)
    return temporary


def _count_per_file(connection, load: PartitionLoad, file_rejects: dict[str, list[Reject]]) -> None:
    counts = dict(
        ((source_file, reason), count) for source_file, reason, count in connection.execute(
            "select _source_file, coalesce(_reason, ''), count(*) from classified_records group by all"
        ).fetchall()
    )
    for file in load.files:
        landed = counts.get((file.source_file, ""), 0)
        classified_out = sum(n for (name, reason), n in counts.items() if name == file.source_file and reason)
        rejected = len(file_rejects[file.source_file])
        file.rows_landed, file.rows_quarantined = landed, classified_out + rejected
        file.rows_read = file.rows_landed + file.rows_quarantined
        if file.status == "landed" and file.rows_quarantined:
            file.status = "landed_with_quarantine"
        for reject in file_rejects[file.source_file]:
            load.quarantined_by_reason[reject.reason] += 1
    for (name, reason), n in counts.items():
        if reason:
            load.quarantined_by_reason[reason] += n


def _record_load(connection, classified: str, file_rejects: dict[str, list[Reject]], load: PartitionLoad) -> None:
    """Replace the partition's ledger and quarantine rows with this load's, in one transaction."""
    now = datetime.now(timezone.utc)
    ledger = pa.Table.from_pylist([
        {"load_id": load.load_id, "source": load.source, "partition_key": load.partition_key,
         "source_file": f.source_file, "file_sha256": f.file_sha256, "encoding": f.encoding, "status": f.status,
         "rows_read": f.rows_read, "rows_landed": f.rows_landed, "rows_quarantined": f.rows_quarantined,
         "detail": f.detail or None, "loaded_at": now}
        for f in load.files
    ], schema=_ledger_schema())
    rejects = pa.Table.from_pylist([
        {"source_file": name, "source_row": r.source_row, "reason": r.reason, "detail": r.detail,
         "raw_record": r.raw_record}
        for name, rejects_of_file in file_rejects.items() for r in rejects_of_file
    ], schema=pa.schema([("source_file", pa.string()), ("source_row", pa.int64()), ("reason", pa.string()),
                         ("detail", pa.string()), ("raw_record", pa.string())]))
    connection.register("load_ledger", ledger)
    connection.register("load_rejects", rejects)
    keys = [load.source, load.partition_key]
    connection.execute("begin transaction")
    try:
        connection.execute("delete from ops.ingestion_ledger where source = ? and partition_key = ?", keys)
        connection.execute("delete from ops.quarantine where source = ? and partition_key = ?", keys)
        connection.execute(f"insert into ops.ingestion_ledger ({', '.join(LEDGER_COLUMNS)}) select * from load_ledger")
        connection.execute(f"""
            insert into ops.quarantine ({', '.join(QUARANTINE_COLUMNS)})
            select '{load.load_id}', ?, ?, source_file, source_row, reason, detail, raw_record, ?
            from load_rejects
            union all
            select '{load.load_id}', ?, ?, _source_file, {SOURCE_ROW}, _reason,
                   case _reason when 'missing_required' then 'a required column is empty'
                                else 'same values as an earlier record of this partition' end,
                   _raw_record, ?
            from {classified} where _reason is not null
        """, [*keys, now, *keys, now])
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    finally:
        connection.unregister("load_ledger")
        connection.unregister("load_rejects")


def _ledger_schema() -> pa.Schema:
    return pa.schema([
        ("load_id", pa.string()), ("source", pa.string()), ("partition_key", pa.string()),
        ("source_file", pa.string()), ("file_sha256", pa.string()), ("encoding", pa.string()),
        ("status", pa.string()), ("rows_read", pa.int64()), ("rows_landed", pa.int64()),
        ("rows_quarantined", pa.int64()), ("detail", pa.string()), ("loaded_at", pa.timestamp("us", tz="UTC")),
    ])
