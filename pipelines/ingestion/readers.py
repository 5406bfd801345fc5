"""Read one delivered file into Arrow, as text, exactly as delivered, one reader per delivery format.

A reader never decides what is good data; it only reads. Records that cannot be read at all (undecodable
bytes, a CSV row with the wrong number of fields, a line that is not JSON) come back as rejects with a reason,
so that landing can quarantine and count them. A file that cannot be read as a whole raises `FileRejected`
with its reason (`unreadable_file`, `unknown_encoding`, `unbalanced_quote`, `oversized_field`, `xlsx_too_large`,
`invalid_parquet`, `invalid_json`).
"""

from __future__ import annotations

import csv
import importlib
import io

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.decoding import decode_delivery
from pipelines.ingestion.records import (
    REJECT_SCHEMA,
    SOURCE_ROW,
    FileRead,
    FileRejected,
    Reject,
    UnreadableFileError,
    line_records,
    map_columns,
)

_MAX_BLOCK_BYTES = (1 << 31) - 1
_SHOWN_CHARACTERS = 200  # of a value too large to copy into the quarantine


# Readers of the other formats, imported when a delivery in their format is read: their libraries (an XML parser
# without entity expansion, an XLSX reader) would add tens of milliseconds to every landing process's start.
_READER_MODULES = {"xlsx": ("pipelines.ingestion.xlsx", "read_xlsx"),
                   "parquet": ("pipelines.ingestion.readers_parquet", "read_parquet"),
                   "xml": ("pipelines.ingestion.readers_xml", "read_xml")}
# Formats whose files are read together, in one query (planning a query per small file cost more than reading it)
_MANY_FILES_READERS = {"jsonl": ("pipelines.ingestion.readers_jsonl", "read_jsonl_files"),
                       "json": ("pipelines.ingestion.readers_json", "read_json_documents")}


def read_delivery(raw: bytes, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    if reads_many_files_at_once(contract):
        [outcome] = read_deliveries([raw], contract, engine)
        if isinstance(outcome, FileRejected):
            raise outcome
        return outcome
    if contract.format in _READER_MODULES:
        module, function = _READER_MODULES[contract.format]
        reader = getattr(importlib.import_module(module), function)
    else:
        reader = read_csv
    read = reader(raw, contract, engine)
    _refuse_oversized_fields(read, contract.max_field_bytes, engine)
    return read


def reads_many_files_at_once(contract: SourceContract) -> bool:
    return contract.format in _MANY_FILES_READERS


def read_deliveries(raws: list[bytes], contract: SourceContract, engine: duckdb.DuckDBPyConnection
                    ) -> list[FileRead | FileRejected]:
    """Each file's read or rejection, in order, for a format that reads many files at once: what `read_delivery`
    returns or raises for each."""
    module, function = _MANY_FILES_READERS[contract.format]
    outcomes = getattr(importlib.import_module(module), function)(raws, contract, engine)
    for position, outcome in enumerate(outcomes):
        if isinstance(outcome, FileRead):
            try:
                _refuse_oversized_fields(outcome, contract.max_field_bytes, engine)
            except FileRejected as rejected:
                outcomes[position] = rejected
    return outcomes


# --- CSV ------------------------------------------------------------------------------------------------------

def read_csv(raw: bytes, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    decoded = decode_delivery(raw, contract.encoding, header_lines=1)
    header = _csv_header(decoded.text)
    malformed: list[Reject] = []

    def on_invalid_row(row) -> str:
        malformed.append(Reject(
            row.number - 1 if row.number else None, "malformed_row",
            f"expected {row.expected_columns} fields, found {row.actual_columns}", row.text,
        ))
        return "skip"

    data = decoded.text.encode("utf-8")
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            # One block for the whole file: a record larger than a block would fail ("straddling object").
            read_options=pa_csv.ReadOptions(use_threads=False, block_size=min(len(data) + 1, _MAX_BLOCK_BYTES)),
            parse_options=pa_csv.ParseOptions(invalid_row_handler=on_invalid_row, newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowCapacityError) as error:
        raise UnreadableFileError(f"not parseable as CSV: {error}") from None
    table = table.append_column(SOURCE_ROW, pa.array(_good_row_numbers(table.num_rows, malformed), pa.int64()))
    _refuse_unbalanced_quotes(table, malformed, decoded.text, len(header))
    result = map_columns(table, contract)
    result.encoding = decoded.encoding
    result.rejects = malformed
    if decoded.note:
        result.notes.append(decoded.note)
    if decoded.undecodable_lines:
        records = _record_of_each_line(data)[sorted(decoded.undecodable_lines)]
        _move_undecodable_rows(result, sorted(set(records[records > 0].tolist())), engine)
    return result


def _csv_header(text: str) -> list[str]:
    end = text.find("\n")  # not split: that would copy the rest of the file
    first_line = (text if end < 0 else text[:end]).rstrip("\r")
    try:
        header = next(csv.reader([first_line]))
    except StopIteration:
        header = []
    if not any(name.strip() for name in header):
        raise UnreadableFileError("the file is empty or has no header row")
    return header


def _good_row_numbers(good_rows: int, rejects: list[Reject]) -> np.ndarray:
    """Record numbers of the rows that parsed: 1..N with the rejected rows' numbers left out."""
    rejected = np.array([reject.source_row for reject in rejects if reject.source_row is not None], dtype=np.int64)
    candidates = np.arange(1, good_rows + len(rejects) + 1, dtype=np.int64)
    return np.setdiff1d(candidates, rejected, assume_unique=True)[:good_rows]


def _refuse_unbalanced_quotes(table: pa.Table, malformed: list[Reject], text: str, field_count: int) -> None:
    """A quote left open swallows the following lines into one value, which then holds whole records.

    A quoted value may span lines; it is a swallowed record when one of its later lines has as many field
    separators as a record. Then no record count of the parse can be trusted, and the whole file is quarantined,
    each physical line counted as a record.
    """
    if field_count < 2 or _one_line_per_record(text, table.num_rows + len(malformed)):
        return
    swallowing = [reject.source_row or 0 for reject in malformed
                  if any(line.count(",") >= field_count - 1 for line in reject.raw_record.split("\n")[1:])]
    for name in table.column_names:
        if name != SOURCE_ROW:
            swallowing += _rows_with_swallowed_records(table.column(name), table.column(SOURCE_ROW), field_count)
    if swallowing:
        records = line_records(text, header_lines=1)
        raise FileRejected(
            "unbalanced_quote",
            f"a quote opened in record {min(swallowing) or '?'} is not closed where its record ends, and later "
            f"records were read into one value; the file's {records.num_rows} lines are quarantined as records",
            records,
        )


def _one_line_per_record(text: str, records: int) -> bool:
    """Whether the file has exactly a line per record after its header: then no value spans lines (a record is at
    least one line; a blank line is one more), and no column needs searching for swallowed records."""
    return text.count("\n") + (not text.endswith("\n")) == 1 + records


def _rows_with_swallowed_records(values: pa.ChunkedArray, rows: pa.ChunkedArray, field_count: int) -> list[int]:
    """Source rows of the values with a later line holding `field_count - 1` separators (all in Arrow)."""
    spanning = pc.fill_null(pc.match_substring(values, "\n"), False)
    values, rows = values.filter(spanning), rows.filter(spanning)
    if not len(values):
        return []
    later_lines = pc.list_slice(pc.split_pattern(values, "\n"), 1)
    separators = pc.count_substring(pc.list_flatten(later_lines), ",")
    owners = pc.list_parent_indices(later_lines).filter(pc.greater_equal(separators, field_count - 1))
    return rows.take(owners).to_pylist()


def _record_of_each_line(data: bytes) -> np.ndarray:
    """The record number of each physical line of a CSV (0 for the header), computed over the whole file at once.

    A line starts a record when it begins outside quotes (an even number of quote characters before it) and is
    not blank; a line inside a quoted value belongs to the record it continues.
    """
    characters = np.frombuffer(data, np.uint8)
    line_starts = np.concatenate(([0], np.flatnonzero(characters == 0x0A) + 1))
    line_lengths = np.diff(np.concatenate((line_starts, [len(data) + 1]))) - 1
    quotes_before = np.searchsorted(np.flatnonzero(characters == 0x22), line_starts)
    blank = (line_lengths == 0) | ((line_lengths == 1) & (characters[np.minimum(line_starts, len(data) - 1)] == 0x0D))
    starts_record = (quotes_before % 2 == 0) & ~blank
    return np.cumsum(starts_record) - 1


def _move_undecodable_rows(result: FileRead, records: list[int], engine) -> None:
    """Records with a line that could not be decoded go to rejects (only they go through DuckDB, for their JSON)."""
    undecodable = pc.is_in(result.records.column(SOURCE_ROW), pa.array(records, pa.int64()))
    engine.register("undecodable_records", result.records.filter(undecodable))
    bad = engine.execute(
        f"select {SOURCE_ROW}, to_json(undecodable_records)::varchar from undecodable_records"
    ).fetchall()
    engine.unregister("undecodable_records")
    result.records = result.records.filter(pc.invert(undecodable))
    result.rejects.extend(
        Reject(row, "encoding_error", "bytes not decodable in the declared encoding or UTF-8", raw)
        for row, raw in bad
    )


# --- checks common to every format ----------------------------------------------------------------------------

def _refuse_oversized_fields(read: FileRead, limit: int, engine) -> None:
    """A field larger than the contract's `max_field_bytes` quarantines the file, each record cut for display."""
    columns = [name for name in read.records.column_names if name != SOURCE_ROW]
    largest = [(pc.max(pc.binary_length(read.records.column(name))).as_py() or 0, name) for name in columns]
    oversized = [(size, name) for size, name in largest if size > limit]
    oversized_rejects = [reject for reject in read.rejects if len(reject.raw_record.encode("utf-8")) > limit]
    if not oversized and not oversized_rejects:
        return
    if oversized:
        size, name = max(oversized)
        where = f"a value of column {name} is {size:,} bytes"
    else:
        where = f"record {oversized_rejects[0].source_row} is {len(oversized_rejects[0].raw_record.encode()):,} bytes"
    engine.register("oversized_file", read.records)
    shown = ", ".join(
        f'"{name}" := case when strlen("{name}") > {limit} then left("{name}", {_SHOWN_CHARACTERS}) || '
        f"' [cut: ' || strlen(\"{name}\") || ' bytes]' else \"{name}\" end"
        for name in columns
    )
    parsed = engine.sql(
        f"select {SOURCE_ROW} as source_row, to_json(struct_pack({shown}))::varchar as raw_record from oversized_file"
    ).to_arrow_table()
    engine.unregister("oversized_file")
    unparsed = pa.Table.from_pylist([
        {"source_row": reject.source_row, "raw_record": _cut(reject.raw_record, limit)} for reject in read.rejects
    ], schema=REJECT_SCHEMA)
    raise FileRejected(
        "oversized_field",
        f"{where}; the contract allows {limit:,} (delivery.max_field_bytes). Values over it are cut to "
        f"{_SHOWN_CHARACTERS} characters in raw_record; the inbox file keeps them",
        pa.concat_tables([parsed.cast(REJECT_SCHEMA), unparsed]),
    )


def _cut(text: str, limit: int) -> str:
    size = len(text.encode("utf-8"))
    return text if size <= limit else f"{text[:_SHOWN_CHARACTERS]} [cut: {size} bytes]"
