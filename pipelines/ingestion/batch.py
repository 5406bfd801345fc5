"""A run's files read in parallel, and its landed data written partition by partition.

Each partition's Parquet file is staged in a private folder in the landing folder; landing swaps each into place
(`os.replace`, atomic per partition) only once the ledger has recorded the run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingestion.classification import CLASSIFYING_COLUMNS, REASON, RECORD_HASH, ClassifiedRecords
from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.inbox import READY, Delivery, DeliveryChanged, read_delivery_bytes
from pipelines.ingestion.landed_schema import write_landed_file
from pipelines.ingestion.ledger import NOT_READ_STATUSES, PartitionLoad
from pipelines.ingestion.readers import read_deliveries, read_delivery, reads_many_files_at_once
from pipelines.ingestion.records import SOURCE_ROW, FileRead, FileRejected, UnreadableFileError

PRIVATE_DIRECTORY = 0o700  # landed data holds personal information
ReadOutcome = DeliveryChanged | UnreadableFileError | tuple[str, FileRead | FileRejected]


# Deliveries landed in one pass; a longer range lands in consecutive passes.
PASS_DELIVERED_BYTES = 32 * 1024 * 1024


class LandingPathError(OSError):
    """The landing folder cannot be written: an operator's error, told in one line."""


def read_ready_deliveries(deliveries: list[tuple[str, Delivery]], contract: SourceContract,
                          connection: duckdb.DuckDBPyConnection,
                          read_bytes: Callable[[Delivery], bytes] = read_delivery_bytes
                          ) -> dict[tuple[str, str], ReadOutcome]:
    """Every (partition key, delivery) read and parsed, by partition key and inbox path, on a thread per core
    (Arrow and DuckDB release the GIL); each thread reads through its own cursor of the warehouse connection. A
    format that reads many files at once parses them together, once every file's bytes are in."""
    def fetch(partition_delivery: tuple[str, Delivery]) -> DeliveryChanged | UnreadableFileError | tuple[str, bytes]:
        try:
            raw = read_bytes(partition_delivery[1])
        except DeliveryChanged as change:
            return change
        except OSError as error:  # e.g. no read permission: the file is there but cannot be opened
            return UnreadableFileError(f"cannot be opened: {error.strerror}")
        return hashlib.sha256(raw).hexdigest(), raw

    def read(partition_delivery: tuple[str, Delivery]) -> ReadOutcome:
        fetched = fetch(partition_delivery)
        if not isinstance(fetched, tuple):
            return fetched
        digest, raw = fetched
        with connection.cursor() as engine:
            try:
                return digest, read_delivery(raw, contract, engine)
            except FileRejected as rejected:
                return digest, rejected

    keys = [(key, delivery.relative) for key, delivery in deliveries]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        if not reads_many_files_at_once(contract):
            return dict(zip(keys, pool.map(read, deliveries)))
        fetched = list(pool.map(fetch, deliveries))
    with connection.cursor() as engine:
        reads = iter(read_deliveries([item[1] for item in fetched if isinstance(item, tuple)], contract, engine))
    return dict(zip(keys, ((item[0], next(reads)) if isinstance(item, tuple) else item for item in fetched)))


def read_passes(deliveries: dict[str, list[Delivery]], contract: SourceContract,
                connection: duckdb.DuckDBPyConnection, read_bytes: Callable[[Delivery], bytes] = read_delivery_bytes
                ) -> Iterator[tuple[dict[str, list[Delivery]], dict[tuple[str, str], ReadOutcome]]]:
    """Each pass's deliveries (`passes`) with their reads. The next pass is read, through its own cursor, while the
    caller lands this one, so parsing overlaps classifying and writing; at most two passes are held at once. Close
    the generator (`contextlib.closing`) to wait for a read under way when the caller stops early."""
    found = [{key: deliveries[key] for key in keys} for keys in passes(deliveries)]
    with connection.cursor() as reader, ThreadPoolExecutor(max_workers=1) as reading:
        def read(pass_deliveries: dict[str, list[Delivery]]) -> dict[tuple[str, str], ReadOutcome]:
            return read_ready_deliveries([(key, delivery) for key, listed in pass_deliveries.items()
                                          for delivery in listed if delivery.state == READY], contract, reader,
                                         read_bytes)
        upcoming = reading.submit(read, found[0]) if found else None
        for index, pass_deliveries in enumerate(found):
            reads = upcoming.result()
            if index + 1 < len(found):
                upcoming = reading.submit(read, found[index + 1])
            yield pass_deliveries, reads


def stage_partitions(classified: ClassifiedRecords, loads: list[PartitionLoad], staging: Path,
                     source_folder: Path) -> dict[str, Path]:
    """Write the good records of each load's partition, with lineage and in the order they were read, to a private
    staging folder (`staging_folder`); a partition with no good record gets an empty file. Returns each
    partition's staged file."""
    ingested_at = pa.scalar(datetime.now(timezone.utc), pa.timestamp("us", tz="UTC"))
    try:
        _private_directories(source_folder)
        staging.mkdir(mode=PRIVATE_DIRECTORY)
        staged = {load.partition_key: staging / f"{load.partition_key}.parquet" for load in loads}
        for load in loads:
            _private_directories(load.landed_path.parent)

        def write(load: PartitionLoad) -> None:
            write_landed_file(_landed_rows(classified.of_partition(load.partition_key), load.load_id, ingested_at),
                              staged[load.partition_key])

        # a thread per core: Arrow's writer encodes and compresses without the GIL
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for _ in pool.map(write, loads):
                pass
        return staged
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
        raise LandingPathError(f"cannot write landed data to {source_folder}: {reason} "
                               f"(CITYBRAIN_LANDING is {source_folder.parent})") from None


def _landed_rows(records: pa.Table, load_id: str, ingested_at: pa.TimestampScalar) -> pa.Table:
    """A partition's records to land (no reason), as landed: the contract's columns, then lineage."""
    reasons = records.column(REASON)
    if reasons.null_count < records.num_rows:
        records = records.filter(pc.is_null(reasons))
    rows = records.num_rows
    return (records.drop_columns(list(CLASSIFYING_COLUMNS))
            .append_column("_source_file", records.column("_source_file"))
            .append_column(SOURCE_ROW, records.column(SOURCE_ROW))
            .append_column("_load_id", pa.repeat(pa.scalar(load_id), rows))
            .append_column("_ingested_at", pa.repeat(ingested_at, rows))
            .append_column(RECORD_HASH, records.column(RECORD_HASH)))


def staging_folder(landing: Path, source: str) -> Path:
    """A new staging folder beside the sources' folders, where no reader's `<source>/*/*.parquet` reaches; the
    leftovers of an interrupted run of the source (runs hold the warehouse lock, so none is running) are removed."""
    for leftover in landing.glob(f".staging-{source}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    return landing / f".staging-{source}-{uuid.uuid4().hex}"


def _private_directories(folder: Path) -> None:
    """The landing folder, its source folder and the partition folder, readable by the owner only."""
    folder.parent.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    folder.mkdir(mode=PRIVATE_DIRECTORY, exist_ok=True)


def passes(deliveries: dict[str, list[Delivery]]) -> Iterator[list[str]]:
    """Consecutive partition keys, cut where a pass would exceed `PASS_DELIVERED_BYTES` (a pass holds its records
    in memory several times over: Arrow, DuckDB, hashes)."""
    keys, size = [], 0
    for key, found in deliveries.items():
        delivered = sum(delivered_size(delivery) for delivery in found if delivery.state == READY)
        if keys and size + delivered > PASS_DELIVERED_BYTES:
            yield keys
            keys, size = [], 0
        keys.append(key)
        size += delivered
    if keys:
        yield keys


def delivered_size(delivery: Delivery) -> int:
    try:
        return delivery.path.lstat().st_size
    except OSError:  # gone since it was listed: its read reports it
        return 0


class EarlierDeliveries:
    """Which delivery a file's bytes were already landed from, as landing the run's partitions one by one in key
    order would find it in the ledger: earlier loads of other partitions, and this run's earlier partitions."""

    def __init__(self, ledger: list[tuple[str, str, str]]):
        self._ledger: dict[str, list[tuple[str, str]]] = {}
        for sha, key, source_file in ledger:
            self._ledger.setdefault(sha, []).append((key, source_file))
        self._replaced: set[str] = set()
        self._this_run: dict[str, str] = {}
        self._this_partition: dict[str, str] = {}

    def of(self, digest: str, partition_key: str, relative: str) -> str | None:
        original = self._this_partition.get(digest)
        self._this_partition.setdefault(digest, relative)
        if original:
            return original
        for key, source_file in self._ledger.get(digest, []):
            if key != partition_key and key not in self._replaced:
                return source_file
        return self._this_run.get(digest)

    def landed(self, load: PartitionLoad) -> None:
        self._this_partition = {}
        if load.kept_landed_data:
            return
        self._replaced.add(load.partition_key)
        for file in load.files:
            if file.file_sha256 and file.status not in ("duplicate_delivery", *NOT_READ_STATUSES):
                self._this_run.setdefault(file.file_sha256, file.source_file)
