"""Land a run's partitions of a source: read their delivered files, quarantine what cannot be used, write the
rest to Parquet with lineage, and record the loads in `ops.ingestion_ledger`. A run lands its partitions in a few
passes (see `batch.py`), with the same outcome as landing them one by one in key order.

Landing a partition again replaces it (Parquet file, ledger rows and quarantine rows), so reruns and
re-deliveries never duplicate anything. For every file: rows_read = rows_landed + rows_quarantined.
A load that reads no file (none delivered, or all refused or incomplete) keeps the partition's landed data
and records why (`no_delivery`, `refused`, `incomplete`); replacing landed data with nothing takes
`allow_empty_replace`, an operator's explicit choice.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import closing
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import settings
from pipelines.ingestion.batch import (
    EarlierDeliveries,
    LandingPathError,
    ReadOutcome,
    read_passes,
    stage_partitions,
    staging_folder,
)
from pipelines.ingestion.classification import classify_records
from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.inbox import (
    INCOMPLETE,
    READY,
    Delivery,
    DeliveryChanged,
    partition_deliveries,
    read_delivery_bytes,
)
from pipelines.ingestion.landed_schema import conform_landed_files
from pipelines.ingestion.ledger import (
    FILE_REJECT_SCHEMA,
    NOT_READ_STATUSES,
    FileLoad,
    PartitionLoad,
    landed_file_hashes,
    record_loads,
    rows_kept,
)
from pipelines.ingestion.ops_tables import ensure_ops_tables
from pipelines.ingestion.records import SOURCE_ROW, FileRead, FileRejected, Reject, UnreadableFileError

__all__ = ["FileLoad", "LandingPathError", "PartitionLoad", "land_partition", "land_partitions", "landed_partition_path"]

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
    return land_partitions(contract, [partition_key], connection, inbox, landing, allow_empty_replace)[0]


def land_partitions(
    contract: SourceContract,
    partition_keys: list[str],
    connection: duckdb.DuckDBPyConnection,
    inbox: Path | None = None,
    landing: Path | None = None,
    allow_empty_replace: bool = False,
) -> list[PartitionLoad]:
    """Land a run's partitions with the outcome of landing them one after the other in key order, in passes of
    about `batch.PASS_DELIVERED_BYTES` of deliveries: each pass is one parallel read (made while the pass before
    is landed), one classification query, one Parquet write per partition and one ledger transaction."""
    inbox, landing = inbox or settings.inbox_dir(), landing or settings.landing_dir()
    ensure_ops_tables(connection)
    deliveries = {key: partition_deliveries(contract, key, inbox) for key in dict.fromkeys(partition_keys)}
    loads: list[PartitionLoad] = []
    with closing(read_passes(deliveries, contract, connection, read_delivery_bytes)) as reads_of_passes:
        for pass_deliveries, reads in reads_of_passes:
            loads += _land_pass(contract, pass_deliveries, reads, connection, landing, allow_empty_replace)
    written = [load.landed_path for load in loads if not load.kept_landed_data]
    if written:
        conform_landed_files(written[-1], lambda: sorted(set((landing / contract.source).glob("*/*.parquet"))
                                                          - set(written)))
    return loads


def _land_pass(contract: SourceContract, deliveries: dict[str, list[Delivery]],
               reads: dict[tuple[str, str], ReadOutcome], connection, landing: Path,
               allow_empty_replace: bool) -> list[PartitionLoad]:
    loads = [PartitionLoad(contract.source, key, uuid.uuid4().hex, landed_partition_path(contract, key, landing))
             for key in deliveries]
    originals = EarlierDeliveries(landed_file_hashes(connection, contract.source))
    accepted: list[tuple[str, str, FileRead]] = []
    file_rejects: dict[tuple[str, str], pa.Table] = {}
    for load in loads:
        for delivery in deliveries[load.partition_key]:
            if delivery.state != READY:
                load.files.append(FileLoad(delivery.relative, "", None, delivery.state, 0, 0, 0, delivery.detail))
                continue
            outcome = reads[load.partition_key, delivery.relative]  # read once per partition it matches
            if isinstance(outcome, DeliveryChanged):
                load.files.append(FileLoad(delivery.relative, "", None, INCOMPLETE, 0, 0, 0, str(outcome)))
                continue
            if isinstance(outcome, UnreadableFileError):  # e.g. no read permission: there but cannot be opened
                load.files.append(FileLoad(delivery.relative, "", None, "unreadable", 0, 0, 0, outcome.detail))
                file_rejects[load.partition_key, delivery.relative] = _file_level_rejects(outcome)
                continue
            digest, read = outcome
            original = originals.of(digest, load.partition_key, delivery.relative)
            file_load, read, rejects = _decide_file(read, delivery.relative, digest, contract, connection, original)
            file_load.delivered_at = delivery.delivered_at
            load.files.append(file_load)
            file_rejects[load.partition_key, delivery.relative] = rejects
            if file_load.status == "landed":
                accepted.append((load.partition_key, delivery.relative, read))
        _keep_or_replace(load, contract, allow_empty_replace)
        originals.landed(load)
    kept = {load.partition_key: load for load in loads if load.kept_landed_data}
    if kept:
        for key, count in rows_kept(connection, contract.source, list(kept)).items():
            kept[key].rows_kept = count
    replaced = [load for load in loads if not load.kept_landed_data]
    connection.register("run_loads", pa.table({"partition_key": [load.partition_key for load in loads],
                                               "_load_id": [load.load_id for load in loads]}))
    try:
        classified = classify_records(connection, contract, accepted)
        connection.register("classified_records", classified.records)
        connection.execute(f"""
            create or replace temp view classified_records_quarantined as
            select *, {_record_json([column.name for column in contract.columns])} as _raw_record
            from classified_records join run_loads using (partition_key) where _reason is not null
        """)
        staging = staging_folder(landing, contract.source)
        try:
            staged = stage_partitions(classified, replaced, staging, landing / contract.source)
            _count_per_file(connection, loads, file_rejects)
            record_loads(connection, contract.source, loads, "classified_records",
                         _quarantine_rows(file_rejects, loads))
            for load in replaced:
                os.replace(staged[load.partition_key], load.landed_path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        connection.execute("drop view if exists classified_records_quarantined")
        connection.unregister("classified_records")
        connection.unregister("run_loads")
    return loads


def _keep_or_replace(load: PartitionLoad, contract: SourceContract, allow_empty_replace: bool) -> None:
    """A partition whose load reads no file keeps its landed data, unless the operator allows replacing it."""
    if not all(file.status in NOT_READ_STATUSES for file in load.files):
        return
    if not load.files:
        load.files.append(FileLoad("", "", None, "no_delivery", 0, 0, 0,
                                   f"no file matches {contract.source}/"
                                   f"{contract.file_glob(date.fromisoformat(load.partition_key))}"))
    if load.landed_path.exists() and not allow_empty_replace:
        load.kept_landed_data = True
        for file in load.files:
            file.detail = f"{file.detail}; the partition keeps the data landed earlier"
    elif allow_empty_replace:
        load.files[0].detail += "; landed data replaced with nothing (allow_empty_replace)"


def _decide_file(read: FileRead | FileRejected, relative: str, digest: str, contract: SourceContract, engine,
                 original: str | None) -> tuple[FileLoad, FileRead | None, pa.Table]:
    """The outcome of one file read; a file rejected whole, a copy of an earlier delivery or one missing required
    columns has every record quarantined for that one reason."""
    if isinstance(read, FileRejected):
        status = "unreadable" if read.reason == "unreadable_file" else read.reason
        return FileLoad(relative, digest, None, status, 0, 0, 0, read.detail), None, _file_level_rejects(read)
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


def _count_per_file(connection, loads: list[PartitionLoad], file_rejects: dict[tuple[str, str], pa.Table]) -> None:
    counts = dict(
        ((key, source_file, reason), count) for key, source_file, reason, count in connection.execute(
            "select partition_key, _source_file, coalesce(_reason, ''), count(*) from classified_records group by all"
        ).fetchall()
    )
    for load in loads:
        for file in load.files:
            rejects = file_rejects.get((load.partition_key, file.source_file))
            if rejects is None:  # not read
                continue
            landed = counts.get((load.partition_key, file.source_file, ""), 0)
            classified_out = sum(n for (key, name, reason), n in counts.items()
                                 if key == load.partition_key and name == file.source_file and reason)
            file.rows_landed, file.rows_quarantined = landed, classified_out + rejects.num_rows
            file.rows_read = file.rows_landed + file.rows_quarantined
            if file.status == "landed" and file.rows_quarantined:
                file.status = "landed_with_quarantine"
            for entry in pc.value_counts(rejects.column("reason")).to_pylist():
                load.quarantined_by_reason[entry["values"]] += entry["counts"]
    by_key = {load.partition_key: load for load in loads}
    for (key, _, reason), n in counts.items():
        if reason:
            by_key[key].quarantined_by_reason[reason] += n


def _quarantine_rows(file_rejects: dict[tuple[str, str], pa.Table], loads: list[PartitionLoad]) -> pa.Table:
    load_ids = {load.partition_key: load.load_id for load in loads}
    parts = [rejects.add_column(0, "source_file", pa.repeat(name, rejects.num_rows))
                    .add_column(0, "partition_key", pa.repeat(key, rejects.num_rows))
                    .add_column(0, "load_id", pa.repeat(load_ids[key], rejects.num_rows))
             for (key, name), rejects in file_rejects.items()]
    schema = pa.schema([("load_id", pa.string()), ("partition_key", pa.string()), ("source_file", pa.string()),
                        *FILE_REJECT_SCHEMA])
    return pa.concat_tables([part.cast(schema) for part in parts]) if parts else schema.empty_table()
