"""Land one partition of a source: read its delivered files, quarantine what cannot be used, write the rest
to Parquet with lineage, and record the load in `ops.ingestion_ledger`.

Landing a partition again replaces it (Parquet file, ledger rows and quarantine rows), so reruns and
re-deliveries never duplicate anything. For every file: rows_read = rows_landed + rows_quarantined.
A load that reads no file (none delivered, or all refused or incomplete) keeps the partition's landed data
and records why (`no_delivery`, `refused`, `incomplete`); replacing landed data with nothing takes
`allow_empty_replace`, an operator's explicit choice.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import settings
from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.inbox import INCOMPLETE, READY, DeliveryChanged, partition_deliveries, read_delivery_bytes
from pipelines.ingestion.ledger import (
    FILE_REJECT_SCHEMA,
    NOT_READ_STATUSES,
    FileLoad,
    PartitionLoad,
    hashes_landed_in_other_partitions,
    record_files_not_read,
    record_load,
)
from pipelines.ingestion.ops_tables import ensure_ops_tables
from pipelines.ingestion.readers import read_delivery
from pipelines.ingestion.records import SOURCE_ROW, FileRead, FileRejected, Reject, UnreadableFileError
from pipelines.warehouse import restrict_to_owner

__all__ = ["FileLoad", "LandingPathError", "PartitionLoad", "land_partition", "landed_partition_path"]

LINEAGE_COLUMNS = ("_source_file", "_source_row", "_load_id", "_ingested_at", "_record_hash")
PRIVATE_DIRECTORY = 0o700  # landed data holds personal information


class LandingPathError(OSError):
    """The landing folder cannot be written: an operator's error, told in one line."""


def landed_partition_path(contract: SourceContract, partition_key: str, landing: Path) -> Path:
    return landing / contract.source / f"partition_key={partition_key}" / "data.parquet"


def land_partition(
    contract: SourceContract,
    partition_key: str,
    connection: duckdb.DuckDBPyConnection,
    inbox: Path | None = None,
    landing: Path | None = None,
    allow_empty_replace: bool = False,
) -> PartitionLoad:
    inbox, landing = inbox or settings.inbox_dir(), landing or settings.landing_dir()
    ensure_ops_tables(connection)
    load = PartitionLoad(contract.source, partition_key, uuid.uuid4().hex,
                         landed_partition_path(contract, partition_key, landing))
    delivered_elsewhere = hashes_landed_in_other_partitions(connection, contract.source, partition_key)
    accepted: list[tuple[str, FileRead]] = []
    file_rejects: dict[str, pa.Table] = {}
    seen_here: dict[str, str] = {}
    for delivery in partition_deliveries(contract, partition_key, inbox):
        if delivery.state != READY:
            load.files.append(FileLoad(delivery.relative, "", None, delivery.state, 0, 0, 0, delivery.detail))
            continue
        try:
            raw = read_delivery_bytes(delivery)
        except DeliveryChanged as change:
            load.files.append(FileLoad(delivery.relative, "", None, INCOMPLETE, 0, 0, 0, str(change)))
            continue
        except OSError as error:  # e.g. no read permission: the file is there but cannot be opened
            cannot_open = UnreadableFileError(f"cannot be opened: {error.strerror}")
            load.files.append(FileLoad(delivery.relative, "", None, "unreadable", 0, 0, 0, cannot_open.detail))
            file_rejects[delivery.relative] = _file_level_rejects(cannot_open)
            continue
        digest = hashlib.sha256(raw).hexdigest()
        original = seen_here.get(digest) or delivered_elsewhere.get(digest)
        seen_here.setdefault(digest, delivery.relative)
        file_load, read, rejects = _read_file(raw, delivery.relative, digest, contract, connection, original)
        load.files.append(file_load)
        file_rejects[delivery.relative] = rejects
        if file_load.status == "landed":
            accepted.append((delivery.relative, read))
    if all(file.status in NOT_READ_STATUSES for file in load.files):
        if not load.files:
            load.files.append(FileLoad("", "", None, "no_delivery", 0, 0, 0,
                                       f"no file matches {contract.source}/{contract.file_glob(date.fromisoformat(partition_key))}"))
        if load.landed_path.exists() and not allow_empty_replace:
            load.kept_landed_data = True
            for file in load.files:
                file.detail = f"{file.detail}; the partition keeps the data landed earlier"
            record_files_not_read(connection, load)
            return load
        if allow_empty_replace:
            load.files[0].detail += "; landed data replaced with nothing (allow_empty_replace)"
    classified = _classify_records(connection, contract, accepted, load)
    staged = _stage_landed(connection, classified, load)
    _count_per_file(connection, load, file_rejects)
    record_load(connection, classified, _quarantine_rows(file_rejects), load)
    os.replace(staged, load.landed_path)
    return load


def _read_file(raw: bytes, relative: str, digest: str, contract: SourceContract, engine,
               original: str | None) -> tuple[FileLoad, FileRead | None, pa.Table]:
    """Read one file; a file rejected whole, a copy of an earlier delivery or one missing required columns
    has every record quarantined for that one reason."""
    try:
        read = read_delivery(raw, contract, engine)
    except FileRejected as rejected:
        status = "unreadable" if rejected.reason == "unreadable_file" else rejected.reason
        return (FileLoad(relative, digest, None, status, 0, 0, 0, rejected.detail), None,
                _file_level_rejects(rejected))
    notes = list(read.notes)
    status, rejects = "landed", _record_rejects(read.rejects)
    if original is not None:
        status = "duplicate_delivery"
        rejects = _reject_all(read, "duplicate_delivery", f"byte-identical to {original}", engine)
        notes.append(f"byte-identical to {original}, already delivered")
    else:
        missing_required = [name for name in read.missing_columns if name in contract.required_columns]
        if missing_required:
            status = "schema_drift"
            rejects = _reject_all(read, "schema_drift", "required columns missing: " + ", ".join(missing_required),
                                  engine)
    return FileLoad(relative, digest, read.encoding, status, 0, 0, 0, "; ".join(notes)), read, rejects


def _record_rejects(rejects: list[Reject]) -> pa.Table:
    return pa.Table.from_pylist([
        {"source_row": r.source_row, "reason": r.reason, "detail": r.detail, "raw_record": r.raw_record}
        for r in rejects
    ], schema=FILE_REJECT_SCHEMA)


def _file_level_rejects(rejected: FileRejected) -> pa.Table:
    """Each record of a file rejected whole, or one record for the file when they cannot be told apart."""
    records = rejected.records if rejected.records is not None else pa.table(
        {"source_row": pa.nulls(1, pa.int64()), "raw_record": pa.array([""])})
    count = records.num_rows
    return pa.table({
        "source_row": records.column("source_row"),
        "reason": pa.repeat(rejected.reason, count),
        "detail": pa.repeat(rejected.detail, count),
        "raw_record": records.column("raw_record"),
    }, schema=FILE_REJECT_SCHEMA)


def _reject_all(read: FileRead, reason: str, detail: str, engine) -> pa.Table:
    """Every record of the file, parsed or not, goes to quarantine for one file-level reason."""
    columns = [name for name in read.records.column_names if name != SOURCE_ROW]
    engine.register("rejected_file", read.records)
    parsed = engine.sql(
        f"select {SOURCE_ROW} as source_row, $reason as reason, $detail as detail, "
        f"{_record_json(columns)} as raw_record from rejected_file", params={"reason": reason, "detail": detail}
    ).to_arrow_table().cast(FILE_REJECT_SCHEMA)
    engine.unregister("rejected_file")
    unparsed = _record_rejects([Reject(r.source_row, reason, detail, r.raw_record) for r in read.rejects])
    read.records = read.records.slice(0, 0)
    return pa.concat_tables([parsed, unparsed])


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
    """Write the partition's good records with lineage to a private Parquet file beside the landed one.

    It replaces the landed file (atomically) only once the ledger has recorded the load.
    """
    temporary = load.landed_path.with_suffix(".parquet.tmp")
    ingested_at = datetime.now(timezone.utc).isoformat()
    try:
        _private_directories(load.landed_path)
        connection.execute(f"""
            copy (
                select * exclude (_file_order, _missing_required, _reason, _raw_record, _record_hash,
                                  _source_file, {SOURCE_ROW}),
                       _source_file, {SOURCE_ROW}, '{load.load_id}' as _load_id,
                       '{ingested_at}'::timestamptz as _ingested_at, _record_hash
                from {classified} where _reason is null order by _file_order, {SOURCE_ROW}
            ) to '{temporary}' (format parquet, compression zstd)
        """)
        restrict_to_owner(temporary)
    except (OSError, duckdb.IOException) as error:
        reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
        raise LandingPathError(f"cannot write landed data to {load.landed_path.parent}: {reason} "
                               f"(CITYBRAIN_LANDING is {load.landed_path.parents[2]})") from None
    return temporary


def _private_directories(landed_path: Path) -> None:
    """The landing folder, its source folder and the partition folder, readable by the owner only."""
    landed_path.parents[2].mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    for folder in (landed_path.parents[1], landed_path.parent):
        folder.mkdir(mode=PRIVATE_DIRECTORY, exist_ok=True)


def _count_per_file(connection, load: PartitionLoad, file_rejects: dict[str, pa.Table]) -> None:
    counts = dict(
        ((source_file, reason), count) for source_file, reason, count in connection.execute(
            "select _source_file, coalesce(_reason, ''), count(*) from classified_records group by all"
        ).fetchall()
    )
    for file in load.files:
        rejects = file_rejects.get(file.source_file)
        if rejects is None:  # not read
            continue
        landed = counts.get((file.source_file, ""), 0)
        classified_out = sum(n for (name, reason), n in counts.items() if name == file.source_file and reason)
        file.rows_landed, file.rows_quarantined = landed, classified_out + rejects.num_rows
        file.rows_read = file.rows_landed + file.rows_quarantined
        if file.status == "landed" and file.rows_quarantined:
            file.status = "landed_with_quarantine"
        for entry in pc.value_counts(rejects.column("reason")).to_pylist():
            load.quarantined_by_reason[entry["values"]] += entry["counts"]
    for (name, reason), n in counts.items():
        if reason:
            load.quarantined_by_reason[reason] += n


def _quarantine_rows(file_rejects: dict[str, pa.Table]) -> pa.Table:
    parts = [rejects.add_column(0, "source_file", pa.repeat(name, rejects.num_rows))
             for name, rejects in file_rejects.items()]
    return pa.concat_tables(parts) if parts else FILE_REJECT_SCHEMA.insert(
        0, pa.field("source_file", pa.string())).empty_table()
