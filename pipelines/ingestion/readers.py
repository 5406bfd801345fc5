"""Read one delivered file into Arrow, as text, exactly as delivered, one reader per delivery format.

A reader never decides what is good data; it only reads. Records that cannot be read at all (undecodable
bytes, a CSV row with the wrong number of fields, a line that is not JSON) come back as rejects with a reason,
so that landing can quarantine them and count them.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from charset_normalizer import from_bytes
from python_calamine import CalamineError, CalamineWorkbook

from pipelines.ingestion.contracts import SourceContract

SOURCE_ROW = "_source_row"


class UnreadableFileError(Exception):
    """The file cannot be opened as its contract's format at all."""


@dataclass(frozen=True)
class Reject:
    source_row: int | None
    reason: str
    detail: str
    raw_record: str


@dataclass
class FileRead:
    """Records of one file: every contract column as a string column (NULL where absent) plus `_source_row`."""

    records: pa.Table
    rejects: list[Reject] = field(default_factory=list)
    encoding: str | None = None
    missing_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_delivery(path: Path, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    readers = {"csv": read_csv, "jsonl": read_jsonl, "xlsx": read_xlsx}
    return readers[contract.format](path, contract, engine)


# --- text decoding --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    undecodable_lines: frozenset[int]  # 0-based physical line numbers that were decoded with replacement chars
    note: str | None = None


MOSTLY_DECODABLE = 0.9


def decode_delivery(raw: bytes, declared: str) -> DecodedText:
    """Decode a text delivery.

    Valid UTF-8 with non-ASCII text is taken as UTF-8 whatever the contract says: real GBK text is almost never
    valid UTF-8, while UTF-8 text often decodes as GBK without error, into mojibake. Then the declared encoding;
    if only a few lines fail in it, those lines are marked (and quarantined) rather than guessing another
    encoding for the whole file. Last, charset-normalizer's guess for a file in some other encoding.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return DecodedText(raw[3:].decode("utf-8"), "utf-8-sig", frozenset(), _mismatch(declared, "utf-8-sig"))
    try:
        text = raw.decode("utf-8")
        if not text.isascii():
            return DecodedText(text, "utf-8", frozenset(), _mismatch(declared, "utf-8"))
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(raw.decode(declared), declared, frozenset())
    except UnicodeDecodeError:
        pass
    by_line = _decode_line_by_line(raw, declared)
    line_count = by_line.text.count("\n") + 1
    if len(by_line.undecodable_lines) <= (1 - MOSTLY_DECODABLE) * line_count:
        return by_line
    guess = from_bytes(raw).best()
    if guess is not None and guess.encoding:
        try:
            return DecodedText(raw.decode(guess.encoding), guess.encoding, frozenset(),
                               _mismatch(declared, guess.encoding))
        except (UnicodeDecodeError, LookupError):
            pass
    return by_line


def _mismatch(declared: str, found: str) -> str | None:
    names = {declared.replace("-", "_").lower(), found.replace("-", "_").lower()}
    return None if len(names) == 1 or names <= {"utf_8", "utf_8_sig"} else f"declared {declared}, delivered as {found}"


def _decode_line_by_line(raw: bytes, declared: str) -> DecodedText:
    lines, bad = [], set()
    for number, line in enumerate(raw.split(b"\n")):
        try:
            lines.append(line.decode(declared))
        except UnicodeDecodeError:
            bad.add(number)
            lines.append(line.decode(declared, errors="replace"))
    note = f"{len(bad)} line(s) not decodable as {declared}"
    return DecodedText("\n".join(lines), declared, frozenset(bad), note)


# --- CSV ------------------------------------------------------------------------------------------------------

def read_csv(path: Path, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    decoded = decode_delivery(path.read_bytes(), contract.encoding)
    header = _csv_header(decoded.text)
    malformed: list[Reject] = []

    def on_invalid_row(row) -> str:
        malformed.append(Reject(
            row.number - 1 if row.number else None, "malformed_row",
            f"expected {row.expected_columns} fields, found {row.actual_columns}", row.text,
        ))
        return "skip"

    table = pa_csv.read_csv(
        io.BytesIO(decoded.text.encode("utf-8")),
        read_options=pa_csv.ReadOptions(use_threads=False),
        parse_options=pa_csv.ParseOptions(invalid_row_handler=on_invalid_row, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    table = table.append_column(SOURCE_ROW, pa.array(_good_row_numbers(table.num_rows, malformed), pa.int64()))
    result = _map_columns(table, contract)
    result.encoding = decoded.encoding
    result.rejects = malformed
    if decoded.note:
        result.notes.append(decoded.note)
    if decoded.undecodable_lines:
        _move_undecodable_rows(result, decoded.undecodable_lines, engine)
    return result


def _csv_header(text: str) -> list[str]:
    first_line = text.split("\n", 1)[0].rstrip("\r")
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


def _move_undecodable_rows(result: FileRead, undecodable_lines: frozenset[int], engine) -> None:
    """Rows whose bytes could not be decoded go to rejects (record number = physical line, header is line 0)."""
    records = result.records
    engine.register("file_records", records)
    bad = engine.execute(
        f"select {SOURCE_ROW}, to_json(file_records)::varchar from file_records where {SOURCE_ROW} in ?",
        [sorted(undecodable_lines)],
    ).fetchall()
    result.records = engine.sql(
        f"select * from file_records where {SOURCE_ROW} not in ?", params=[sorted(undecodable_lines)]
    ).to_arrow_table()
    engine.unregister("file_records")
    result.rejects.extend(
        Reject(row, "encoding_error", "bytes not decodable in the declared or any detected encoding", raw)
        for row, raw in bad
    )


# --- JSON Lines -----------------------------------------------------------------------------------------------

def read_jsonl(path: Path, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    decoded = decode_delivery(path.read_bytes(), contract.encoding)
    lines = pa.table({"line": decoded.text.split("\n")})
    engine.register("jsonl_lines", lines)
    numbered = (
        "select row_number() over () as line_number, line from jsonl_lines"
    )
    checked = f"""
        select line_number as {SOURCE_ROW}, line,
               line_number - 1 in ? as undecodable,
               coalesce(try(json_type(line::json)) = 'OBJECT', false) as is_object
        from ({numbered}) where trim(line) <> ''
    """
    extracted = ", ".join(
        f"json_extract_string(line, {_sql_string(_json_path(column.source))}) as {column.name}"
        for column in contract.columns
    )
    undecodable = sorted(decoded.undecodable_lines)
    records = engine.sql(
        f"select {extracted}, {SOURCE_ROW} from ({checked}) where is_object and not undecodable order by {SOURCE_ROW}",
        params=[undecodable],
    ).to_arrow_table()
    bad = engine.execute(
        f"select {SOURCE_ROW}, undecodable, line from ({checked}) where undecodable or not is_object order by {SOURCE_ROW}",
        [undecodable],
    ).fetchall()
    engine.unregister("jsonl_lines")
    rejects = [
        Reject(row, "encoding_error", "bytes not decodable", line) if undecodable_line
        else Reject(row, "malformed_json", "the line is not a JSON object", line)
        for row, undecodable_line, line in bad
    ]
    notes = [decoded.note] if decoded.note else []
    return FileRead(records=records, rejects=rejects, encoding=decoded.encoding, notes=notes)


def _json_path(source: str) -> str:
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in source.split("."))


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- XLSX -----------------------------------------------------------------------------------------------------

def read_xlsx(path: Path, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if contract.sheet and contract.sheet not in workbook.sheet_names:
            raise UnreadableFileError(
                f"sheet '{contract.sheet}' not found; the workbook has {workbook.sheet_names}"
            )
        sheet = workbook.get_sheet_by_name(contract.sheet or workbook.sheet_names[0])
        rows = sheet.to_python(skip_empty_area=False)
    except CalamineError as error:
        raise UnreadableFileError(f"not a readable XLSX workbook: {error}") from None
    if not rows:
        raise UnreadableFileError("the sheet is empty")
    header = [_cell_text(cell) or "" for cell in rows[0]]
    body = [(number, row) for number, row in enumerate(rows[1:], start=1) if any(cell != "" for cell in row)]
    columns = {
        name: pa.array([_cell_text(row[index]) if index < len(row) else None for _, row in body], pa.string())
        for index, name in enumerate(header) if name
    }
    columns[SOURCE_ROW] = pa.array([number for number, _ in body], pa.int64())
    return _map_columns(pa.table(columns), contract)


def _cell_text(cell) -> str | None:
    """A cell's value as text: dates ISO, whole numbers without '.0', empty cells NULL."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d") if cell.time() == time(0) else cell.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        return str(int(cell)) if math.isfinite(cell) and cell.is_integer() else repr(cell)
    return str(cell)


# --- header mapping -------------------------------------------------------------------------------------------

def _map_columns(table: pa.Table, contract: SourceContract) -> FileRead:
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
