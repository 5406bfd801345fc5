"""What the inbox holds: deliveries by source and partition, files not ready yet, and files that match no contract.

A file matches no contract when it lies outside a source folder, in a folder no contract names, in a nested
folder, or when its name does not fit the contract's `file_pattern` (or names a partition before the source's
start). Those are reported, with the reason, in `ops.unmatched_deliveries` and by the landing assets'
`inbox_files_match_contract` checks; nothing of them is read. Hidden files (`.name`, e.g. uploads in progress)
and the operator's own files in the inbox root (`_name`, e.g. the demo's ground truth) are not deliveries.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.deliveries.rules import CITY_TIME, partition_end
from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.inbox import INCOMPLETE, inspect_delivery
from pipelines.warehouse import transaction

UNMATCHED_TABLE = "ops.unmatched_deliveries"
UNMATCHED_COLUMNS = ("inbox_path", "source", "reason", "detail", "size_bytes", "modified_at", "reported_at")


@dataclass(frozen=True)
class InboxFile:
    relative: str  # path relative to the inbox, as the ledger names files
    size: int
    modified_at: datetime

    @classmethod
    def of(cls, path: Path, inbox: Path) -> InboxFile:
        stat = path.lstat()  # a symlink is described, never followed
        return cls(str(path.relative_to(inbox)), stat.st_size,
                   datetime.fromtimestamp(stat.st_mtime, timezone.utc))


@dataclass(frozen=True)
class Delivery:
    source: str
    partition_key: str
    file: InboxFile


@dataclass(frozen=True)
class Unmatched:
    source: str | None
    reason: str
    detail: str
    file: InboxFile


@dataclass(frozen=True)
class NotReady:
    delivery: Delivery
    reason: str  # period_not_ended | incomplete (still being written, or its done marker is missing)


@dataclass
class InboxScan:
    deliveries: list[Delivery] = field(default_factory=list)
    not_ready: list[NotReady] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)

    def unmatched_of(self, source: str) -> list[Unmatched]:
        return [item for item in self.unmatched if item.source == source]

    def unmatched_digest(self) -> str:
        """Changes whenever the set of unmatched files (or one of them) changes."""
        text = json.dumps(sorted((u.file.relative, u.reason, u.file.size, u.file.modified_at.isoformat())
                                 for u in self.unmatched))
        return hashlib.sha256(text.encode()).hexdigest()


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def scan_inbox(contracts: Iterable[SourceContract], inbox: Path, now: datetime) -> InboxScan:
    """Classify every file in the inbox at `now` (see the module docstring)."""
    by_source = {contract.source: contract for contract in contracts}
    scan = InboxScan()
    if not inbox.is_dir():
        return scan
    for entry in sorted(inbox.iterdir()):
        if _is_hidden(entry) or (entry.name.startswith("_") and not entry.is_dir()):
            continue
        if entry.is_symlink():
            scan.unmatched.append(Unmatched(None, "symlink", "links in the inbox are not followed",
                                            InboxFile.of(entry, inbox)))
        elif not entry.is_dir():
            scan.unmatched.append(Unmatched(None, "outside_source_folder",
                                            "deliveries go into <inbox>/<source>/", InboxFile.of(entry, inbox)))
        elif entry.name not in by_source:
            for path in _files_below(entry):
                scan.unmatched.append(Unmatched(
                    entry.name, "unknown_source",
                    f"no contract for source '{entry.name}' (known: {', '.join(sorted(by_source))})",
                    InboxFile.of(path, inbox)))
        else:
            _scan_source_folder(by_source[entry.name], entry, inbox, now, scan)
    return scan


def _files_below(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if not path.is_dir() and not _is_hidden(path))


def _scan_source_folder(contract: SourceContract, folder: Path, inbox: Path, now: datetime, scan: InboxScan) -> None:
    names = {path.name for path in folder.iterdir()}
    markers = {contract.done_marker.format(name=name) for name in names} if contract.done_marker else set()
    today = now.astimezone(CITY_TIME).date()
    for path in sorted(folder.iterdir()):
        if _is_hidden(path) or path.name in markers:
            continue
        if path.is_dir() and not path.is_symlink():
            for nested in _files_below(path):
                scan.unmatched.append(Unmatched(contract.source, "nested_folder",
                                                "deliveries lie directly in the source folder",
                                                InboxFile.of(nested, inbox)))
            continue
        file = InboxFile.of(path, inbox)
        partition_key = contract.partition_key_of(path.name)
        if partition_key is None:
            scan.unmatched.append(Unmatched(contract.source, "name_mismatch",
                                            f"expected a name like {contract.file_pattern}", file))
        elif partition_key < contract.start_date.isoformat():
            scan.unmatched.append(Unmatched(contract.source, "before_source_start",
                                            f"partition {partition_key} is before the source's start "
                                            f"{contract.start_date}", file))
        else:
            delivery = Delivery(contract.source, partition_key, file)
            if partition_end(contract, partition_key) > today:
                scan.not_ready.append(NotReady(delivery, "period_not_ended"))
            elif inspect_delivery(path, inbox, contract, now.timestamp()).state == INCOMPLETE:
                scan.not_ready.append(NotReady(delivery, "incomplete"))
            else:
                scan.deliveries.append(delivery)


_DDL = f"""
create schema if not exists ops;
create table if not exists {UNMATCHED_TABLE} (
    inbox_path varchar not null,
    source varchar,
    reason varchar not null,
    detail varchar,
    size_bytes bigint,
    modified_at timestamptz,
    reported_at timestamptz not null
)
"""


def record_unmatched(connection: duckdb.DuckDBPyConnection, scan: InboxScan, now: datetime) -> None:
    """Replace `ops.unmatched_deliveries` with what the scan found: it always shows the inbox as it is now."""
    rows = pa.Table.from_pylist(
        [{"inbox_path": u.file.relative, "source": u.source, "reason": u.reason, "detail": u.detail,
          "size_bytes": u.file.size, "modified_at": u.file.modified_at, "reported_at": now}
         for u in scan.unmatched],
        schema=pa.schema([("inbox_path", pa.string()), ("source", pa.string()), ("reason", pa.string()),
                          ("detail", pa.string()), ("size_bytes", pa.int64()),
                          ("modified_at", pa.timestamp("us", tz="UTC")), ("reported_at", pa.timestamp("us", tz="UTC"))]),
    )
    connection.execute(_DDL)
    connection.register("unmatched_now", rows)
    try:
        with transaction(connection):
            connection.execute(f"delete from {UNMATCHED_TABLE}")
            connection.execute(
                f"insert into {UNMATCHED_TABLE} ({', '.join(UNMATCHED_COLUMNS)}) select * from unmatched_now")
    finally:
        connection.unregister("unmatched_now")


_FILE_NAME_SAFE = re.compile(r"[|\n]")


def unmatched_table(unmatched: list[Unmatched]) -> str:
    """Markdown table of unmatched files, for a check's metadata."""
    lines = ["| file | reason | detail |", "|---|---|---|"]
    lines += [f"| {_FILE_NAME_SAFE.sub(' ', u.file.relative)} | {u.reason} | {_FILE_NAME_SAFE.sub(' ', u.detail)} |"
              for u in unmatched]
    return "\n".join(lines)
