"""What a reader returns: the records of a file, its rejected records, or the whole file rejected for a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingestion.contracts import SourceContract

SOURCE_ROW = "_source_row"
REJECT_SCHEMA = pa.schema([("source_row", pa.int64()), ("raw_record", pa.string())])


@dataclass(frozen=True)
class Reject:
    source_row: int | None
    reason: str
    detail: str
    raw_record: str


class FileRejected(Exception):
    """The whole file is quarantined for one reason.

    `records` holds each record of the file that could be told apart (`source_row`, `raw_record`); None when the
    file's records cannot be told apart at all, and the file then counts as one record.
    """

    def __init__(self, reason: str, detail: str, records: pa.Table | None = None):
        super().__init__(detail)
        self.reason, self.detail, self.records = reason, detail, records


class UnreadableFileError(FileRejected):
    """The file cannot be opened as its contract's format at all."""

    def __init__(self, detail: str):
        super().__init__("unreadable_file", detail)


def line_records(text: str, header_lines: int) -> pa.Table:
    """Every non-blank physical line after the header as a record: `source_row` counts lines after the header."""
    lines = pc.utf8_rtrim(pa.array(text.split("\n"), pa.string()), characters="\r")
    numbers = pa.array(np.arange(len(lines), dtype=np.int64) + 1 - header_lines)
    keep = pc.and_(pc.greater_equal(numbers, 1), pc.not_equal(pc.utf8_trim_whitespace(lines), ""))
    return pa.table({"source_row": numbers, "raw_record": lines}, schema=REJECT_SCHEMA).filter(keep)


@dataclass
class FileRead:
    """Records of one file: every contract column as a string column (NULL where absent) plus `_source_row`."""

    records: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    encoding: str | None = None
    missing_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def map_columns(table: pa.Table, contract: SourceContract) -> FileRead:
    """Rename delivered headers to data elements; absent columns become NULL and are reported."""
    delivered = {name.strip(): name for name in table.column_names if name != SOURCE_ROW}
    known_sources = {column.source for column in contract.columns}
    arrays, missing = {}, []
    for column in contract.columns:
        if column.source in delivered:
            arrays[column.name] = table.column(delivered[column.source])
        else:
            missing.append(column.name)
            arrays[column.name] = pa.nulls(table.num_rows, pa.string())
    arrays[SOURCE_ROW] = table.column(SOURCE_ROW)
    notes = []
    if missing:
        notes.append("missing columns: " + ", ".join(missing))
    unexpected = sorted(set(delivered) - known_sources)
    if unexpected:
        notes.append("unexpected columns not landed (kept in the inbox file): " + ", ".join(unexpected))
    return FileRead(records=pa.table(arrays), missing_columns=missing, notes=notes)


# A row's file, when a reader reads several files in one query: the file's position in the list read.
FILE_INDEX = "_file_index"


def rows_of_each_file(rows: pa.Table, files: int) -> list[pa.Table]:
    """The rows of each of `files` files read together, from their rows sorted by FILE_INDEX (slices, no copy)."""
    bounds = np.searchsorted(rows.column(FILE_INDEX).to_numpy(), np.arange(files + 1))
    return [rows.slice(bounds[index], bounds[index + 1] - bounds[index]) for index in range(files)]
