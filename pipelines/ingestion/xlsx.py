"""Read an XLSX delivery, after checking its size against the contract without loading it.

calamine allocates a sheet densely, from its first to its last cell: one cell at XFD1048576 asks for 512 GiB.
So before calamine sees a workbook, the sheet's XML is streamed out of the zip and its `<dimension>`, row
numbers and cell references are checked against the contract's `max_rows` / `max_columns`. A workbook beyond
them is quarantined whole (`xlsx_too_large`), each of its rows counted as a record.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from datetime import date, datetime, time
from xml.etree import ElementTree

import duckdb
import numpy as np
import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.records import REJECT_SCHEMA, SOURCE_ROW, FileRead, FileRejected, UnreadableFileError, map_columns

_STREAM_CHUNK_BYTES = 1 << 20
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"(?:[A-Z]+\d+:)?([A-Z]+)(\d+)\"")
_ROW = re.compile(rb"<(?:\w+:)?row\b[^>]*?\br=\"(\d+)\"")
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\bt=\"e\"")


def read_xlsx(raw: bytes, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    error_cells = check_xlsx_size(raw, contract)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheet = workbook.get_sheet_by_name(_sheet_name(workbook.sheet_names, contract))
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
    read = map_columns(pa.table(columns), contract)
    if error_cells:
        read.notes.append(f"{error_cells} cell(s) hold an Excel error value such as #N/A, not text: landed as NULL")
    return read


def _sheet_name(sheet_names: list[str], contract: SourceContract) -> str:
    if contract.sheet and contract.sheet not in sheet_names:
        raise UnreadableFileError(f"sheet '{contract.sheet}' not found; the workbook has {sheet_names}")
    if not sheet_names:
        raise UnreadableFileError("the workbook has no sheet")
    return contract.sheet or sheet_names[0]


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


# --- size check before reading --------------------------------------------------------------------------------

def check_xlsx_size(raw: bytes, contract: SourceContract) -> int:
    """Stream the sheet's XML and refuse a workbook whose dimension, rows or cells exceed the contract's caps.

    Returns the number of cells holding an Excel error value (calamine reads them as empty)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            sheet, member = _sheet_member(archive, contract)
            with archive.open(member) as stream:
                extent = _scan_sheet(stream, contract)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, StopIteration, ElementTree.ParseError,
            EOFError) as error:
        raise UnreadableFileError(f"not a readable XLSX workbook: {error}") from None
    problems = []
    if extent["dimension"] and (extent["dimension"][0] > contract.max_columns
                                or extent["dimension"][1] > contract.max_rows + 1):
        problems.append(f"its dimension reaches {extent['dimension_ref']}")
    if extent["last_column"] > contract.max_columns:
        problems.append(f"a cell at {extent['last_column_ref']} is beyond column {contract.max_columns}")
    if extent["last_row"] > contract.max_rows + 1:
        problems.append(f"row {extent['last_row']:,} is beyond {contract.max_rows:,} data rows")
    if problems:
        rows = np.unique(extent["rows"])
        rows = rows[rows > 1] - 1
        raise FileRejected(
            "xlsx_too_large",
            f"sheet '{sheet}': " + "; ".join(problems) + f" (delivery.max_rows {contract.max_rows:,}, "
            f"max_columns {contract.max_columns}); not read, each of its {len(rows):,} data rows counted",
            pa.table({"source_row": rows, "raw_record": pa.nulls(len(rows), pa.string())}, schema=REJECT_SCHEMA),
        )
    return extent["error_cells"]


def _sheet_member(archive: zipfile.ZipFile, contract: SourceContract) -> tuple[str, str]:
    """The contract's sheet (or the first) and its zip member, from workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheets = [(element.get("name"), _attribute(element, "id")) for element in workbook.iter()
              if _local(element.tag) == "sheet"]
    names = [name for name, _ in sheets]
    sheet = _sheet_name(names, contract)
    relation_id = dict(sheets)[sheet]
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(element.get("Target") for element in relations.iter()
                  if _local(element.tag) == "Relationship" and element.get("Id") == relation_id)
    member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return sheet, member


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attribute(element, local_name: str) -> str | None:
    return next((value for key, value in element.attrib.items() if _local(key) == local_name), None)


def _scan_sheet(stream, contract: SourceContract) -> dict:
    """Largest dimension, row and cell reference of a sheet's XML, read in chunks (never whole).

    Only cell references long enough to break a cap are matched (columns of as many letters as the cap's,
    rows of as many digits), so a sheet within its caps costs one pass of the regex engine and no objects.
    """
    cap_letters = len(_column_letters(contract.max_columns))
    cap_digits = len(str(contract.max_rows + 1))
    wide_cells = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]{%d,})(\d+)\"" % cap_letters)
    deep_cells = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"[A-Z]+(\d{%d,})\"" % cap_digits)
    extent = {"dimension": None, "dimension_ref": "", "last_row": 0, "last_column": 0, "last_column_ref": "",
              "rows": [], "error_cells": 0}
    carry = b""
    while chunk := stream.read(_STREAM_CHUNK_BYTES):
        buffer = carry + chunk
        cut = buffer.rfind(b">") + 1  # scan whole tags only; the rest waits for the next chunk
        _scan_tags(buffer[:cut], extent, wide_cells, deep_cells)
        carry = buffer[cut:]
    _scan_tags(carry, extent, wide_cells, deep_cells)
    extent["rows"] = np.concatenate([np.zeros(0, np.int64), *extent["rows"]])
    return extent


def _scan_tags(xml: bytes, extent: dict, wide_cells: re.Pattern, deep_cells: re.Pattern) -> None:
    if extent["dimension"] is None and (match := _DIMENSION.search(xml)):
        extent["dimension"] = (_column_number(match.group(1)), int(match.group(2)))
        extent["dimension_ref"] = (match.group(1) + match.group(2)).decode()
    extent["error_cells"] += len(_ERROR_CELL.findall(xml))
    rows = np.array(_ROW.findall(xml) or [b"0"]).astype(np.int64)
    extent["rows"].append(rows[rows > 0])
    extent["last_row"] = max(extent["last_row"], int(rows.max()),
                             *(int(number) for number in deep_cells.findall(xml)))
    for letters, number in set(wide_cells.findall(xml)):
        column = _column_number(letters)
        if column > extent["last_column"]:
            extent["last_column"], extent["last_column_ref"] = column, (letters + number).decode()


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number
