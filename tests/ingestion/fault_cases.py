"""The fault-injection cases: one tiny delivery with one fault each, and the ledger rows it must produce.

A case writes its files into the source's inbox folder. `expected` gives, per file, the ledger status, the
rows read (the delivery's true record count when the file is read; 0 when it is refused or not complete),
the rows landed and the quarantine rows by reason. The test contracts are in fault_contracts/.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

DAY, MONTH = "2026-03-05", "2026-03-01"
CSV_FILE, JSONL_FILE, XLSX_FILE = "faults_20260305.csv", "faults_20260305.jsonl", "faults_202603.xlsx"
HEADER = "编号,时间,区县,备注"
NULL_LIKE_TEXT = ["NA", "N/A", "NULL", "null", "NaN", "#N/A"]
OUTSIDE_SECRET = "秘密的第一行,不可读取"


@dataclass(frozen=True)
class Expected:
    status: str
    rows_read: int
    rows_landed: int
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    deliver: Callable[[Path], None]  # gets the source's inbox folder (not yet created)
    expected: dict[str, Expected]
    contract_changes: dict = field(default_factory=dict)
    landed: list | None = None  # the landed values of the checked column, in record order
    detail_has: str = ""  # text the file's ledger detail must contain


# --- delivery builders ----------------------------------------------------------------------------------------

def row(n: int, note: str | None = None) -> str:
    return f"R{n},2026/03/05 08:{n % 60:02d}:00,示例区,{f'备注{n}' if note is None else note}"


def csv_bytes(rows: list[str], encoding: str = "gb18030", header: str = HEADER, newline: str = "\n") -> bytes:
    return (header + newline + newline.join(rows) + newline).encode(encoding)


def folder_of(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write(name: str, data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    def deliver(folder: Path) -> None:
        (folder_of(folder) / name).write_bytes(data() if callable(data) else data)
    return deliver


def mixed_encodings() -> bytes:
    gbk = [row(n).encode("gb18030") for n in (1, 3, 5)]
    utf8 = [row(n).encode("utf-8") for n in (2, 4, 6)]
    lines = [HEADER.encode("gb18030"), gbk[0], utf8[0], gbk[1], utf8[1], b"R9,\xff\xfe,\x80\x80,x", gbk[2], utf8[2]]
    return b"\n".join(lines) + b"\n"


def unbalanced_quote(closed_at: int | None) -> bytes:
    rows = [row(n) for n in range(1, 405)]
    rows[49] = row(50, note='"引号没有关上')
    if closed_at:
        rows[closed_at - 1] = row(closed_at, note='"有引号"')
    return csv_bytes(rows)


def xlsx_bytes(rows: list[list], sheet: str = "案件", far_cell: str | None = None, errors: bool = False) -> bytes:
    """A workbook of text cells (openpyxl would store text such as '#N/A' as an error value unless `errors`)."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for values in rows:
        worksheet.append(values)
    for cells in worksheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and not errors:
                cell.data_type = "s"
    if far_cell:
        worksheet[far_cell] = "远处"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_rows(count: int, columns: int = 3) -> list[list]:
    header = ["案件编号", "受理日期", "备注"] + [f"多余{k}" for k in range(columns - 3)]
    return [header] + [[f"TJ{n}", "2026-03-02", f"备注{n}"] + ["x"] * (columns - 3) for n in range(1, count + 1)]


def with_dimension(data: bytes, reference: str) -> bytes:
    """The workbook with its sheet's <dimension> rewritten (cells unchanged)."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename.startswith("xl/worksheets/"):
                start = content.index(b'<dimension ref="') + len(b'<dimension ref="')
                content = content[:start] + reference.encode() + content[content.index(b'"', start):]
            archive.writestr(entry.filename, content)
    return target.getvalue()


def symlink_to_outside(folder: Path) -> None:
    outside = folder.parent.parent / "outside.csv"
    outside.write_bytes(csv_bytes([OUTSIDE_SECRET]))
    os.symlink(outside, folder_of(folder) / CSV_FILE)


def symlink_inside(folder: Path) -> None:
    folder_of(folder)
    (folder / "kept_elsewhere.csv").write_bytes(csv_bytes([row(1)]))
    os.symlink(folder / "kept_elsewhere.csv", folder / CSV_FILE)


def source_folder_outside(folder: Path) -> None:
    outside = folder.parent.parent / "outside_folder"
    outside.mkdir()
    (outside / CSV_FILE).write_bytes(csv_bytes([OUTSIDE_SECRET]))
    os.symlink(outside, folder)


def fifo(folder: Path) -> None:
    os.mkfifo(folder_of(folder) / CSV_FILE)


def directory(folder: Path) -> None:
    (folder_of(folder) / CSV_FILE).mkdir()


def with_marker(marker: bool) -> Callable[[Path], None]:
    def deliver(folder: Path) -> None:
        write(CSV_FILE, csv_bytes([row(1), row(2)]))(folder)
        if marker:
            (folder / f"{CSV_FILE}.done").write_bytes(b"")
    return deliver


def both(*delivers: Callable[[Path], None]) -> Callable[[Path], None]:
    def deliver(folder: Path) -> None:
        for one in delivers:
            one(folder)
    return deliver


def jsonl_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def event(n: int, note: str | None = "备注") -> str:
    note_json = "null" if note is None else '"' + note + '"'
    return f'{{"id": "GE{n}", "status": 3, "location": {{"lng": 119.4{n}}}, "note": {note_json}}}'


# --- the cases ------------------------------------------------------------------------------------------------

def _landed(count: int, status: str = "landed") -> Expected:
    return Expected(status, count, count)


def _whole(reason: str, count: int, status: str | None = None) -> Expected:
    return Expected(status or reason, count, 0, {reason: count})


NOT_READ = {"refused": Expected("refused", 0, 0), "incomplete": Expected("incomplete", 0, 0)}

CSV_CASES = [
    Case("csv_null_like_text_is_kept_only_empty_is_null", "faults_csv",
         write(CSV_FILE, csv_bytes([row(n, note) for n, note in enumerate(NULL_LIKE_TEXT + [""], 1)])),
         {CSV_FILE: _landed(7)}, landed=NULL_LIKE_TEXT + [None]),
    Case("csv_quoted_null_like_text_is_kept", "faults_csv",
         write(CSV_FILE, csv_bytes([row(n, f'"{note}"') for n, note in enumerate(NULL_LIKE_TEXT, 1)])),
         {CSV_FILE: _landed(6)}, landed=NULL_LIKE_TEXT),
    Case("csv_utf8_with_bom_under_a_gbk_contract", "faults_csv",
         write(CSV_FILE, b"\xef\xbb\xbf" + csv_bytes([row(1), row(2), row(3)], "utf-8")),
         {CSV_FILE: _landed(3)}, landed=["备注1", "备注2", "备注3"], detail_has="delivered as utf-8-sig"),
    Case("csv_utf8_under_a_gbk_contract", "faults_csv", write(CSV_FILE, csv_bytes([row(1), row(2)], "utf-8")),
         {CSV_FILE: _landed(2)}, landed=["备注1", "备注2"], detail_has="declared gb18030, delivered as utf-8"),
    Case("csv_mixed_gbk_and_utf8_lines_decided_per_line", "faults_csv", write(CSV_FILE, mixed_encodings),
         {CSV_FILE: Expected("landed_with_quarantine", 7, 6, {"encoding_error": 1})},
         landed=[f"备注{n}" for n in (1, 2, 3, 4, 5, 6)], detail_has="mixed encodings"),
    Case("csv_undecodable_line_after_blank_lines_and_a_multiline_value", "faults_csv",
         write(CSV_FILE, csv_bytes([row(1), "", row(2, '"两行\n备注"'), "", row(3)]) + b"R4,\xff\xfe,x,y\n"
               + csv_bytes([row(5)], header="").lstrip(b"\n")),
         {CSV_FILE: Expected("landed_with_quarantine", 5, 4, {"encoding_error": 1})},
         landed=["备注1", "两行\n备注", "备注3", "备注5"]),
    Case("csv_utf16_with_bom_declared_gbk", "faults_csv",
         write(CSV_FILE, csv_bytes([row(1), row(2), row(3)], "utf-16")),
         {CSV_FILE: _whole("unknown_encoding", 3)}, detail_has="the file is UTF-16"),
    Case("csv_utf16le_without_bom_declared_gbk", "faults_csv",
         write(CSV_FILE, csv_bytes([row(1), row(2)], "utf-16-le")),
         {CSV_FILE: _whole("unknown_encoding", 2)}, detail_has="UTF-16-LE"),
    Case("csv_shift_jis_declared_gbk", "faults_csv",
         write(CSV_FILE, HEADER.encode("gb18030") + b"\n" + "\n".join(
             f"R{n},2026/03/05 08:00:00,ｷｮｳｺｳｸ{n},ｱｲｳ{n}" for n in range(1, 5)).encode("shift_jis") + b"\n"),
         {CSV_FILE: _whole("unknown_encoding", 4)}, detail_has="not text in the declared encoding gb18030"),
    Case("csv_png_named_csv_is_unreadable", "faults_csv",
         write(CSV_FILE, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4),
         {CSV_FILE: _whole("unreadable_file", 1, "unreadable")}, detail_has="binary content"),
    Case("csv_workbook_named_csv_is_unreadable", "faults_csv", write(CSV_FILE, lambda: xlsx_bytes(xlsx_rows(2))),
         {CSV_FILE: _whole("unreadable_file", 1, "unreadable")}, detail_has="binary content"),
    Case("csv_control_bytes_without_nul_is_unreadable", "faults_csv", write(CSV_FILE, bytes(range(1, 32)) * 50),
         {CSV_FILE: _whole("unreadable_file", 1, "unreadable")}, detail_has="control bytes"),
    Case("csv_empty_file_is_unreadable", "faults_csv", write(CSV_FILE, b""),
         {CSV_FILE: _whole("unreadable_file", 1, "unreadable")}, detail_has="no header row"),
    Case("csv_header_only_lands_nothing", "faults_csv", write(CSV_FILE, (HEADER + "\n").encode("gb18030")),
         {CSV_FILE: _landed(0)}),
    Case("csv_field_of_50_mb_quarantines_the_file", "faults_csv",
         write(CSV_FILE, lambda: csv_bytes([row(1), row(2, "x" * (50 << 20)), row(3)])),
         {CSV_FILE: _whole("oversized_field", 3)}, detail_has="a value of column note is 52,428,800 bytes"),
    Case("csv_oversized_malformed_row_quarantines_the_file", "faults_csv",
         write(CSV_FILE, lambda: csv_bytes([row(1), row(2, "y" * (2 << 20)) + ",多余", row(3)])),
         {CSV_FILE: _whole("oversized_field", 3)}, detail_has="record 2 is"),
    Case("csv_unbalanced_quote_at_row_50_of_404", "faults_csv", write(CSV_FILE, unbalanced_quote(None)),
         {CSV_FILE: _whole("unbalanced_quote", 404)}, detail_has="a quote opened in record 50"),
    Case("csv_unbalanced_quote_closed_by_a_later_quote", "faults_csv", write(CSV_FILE, unbalanced_quote(200)),
         {CSV_FILE: _whole("unbalanced_quote", 404)}, detail_has="a quote opened in record 50"),
    Case("csv_quoted_value_over_two_lines_is_kept", "faults_csv",
         write(CSV_FILE, csv_bytes([row(1), row(2, '"两行\n备注"'), row(3)])),
         {CSV_FILE: _landed(3)}, landed=["备注1", "两行\n备注", "备注3"]),
    Case("csv_row_with_an_extra_field_is_malformed", "faults_csv",
         write(CSV_FILE, csv_bytes([row(1), row(2) + ",多余", row(3)])),
         {CSV_FILE: Expected("landed_with_quarantine", 3, 2, {"malformed_row": 1})}),
    Case("csv_empty_required_value", "faults_csv",
         write(CSV_FILE, csv_bytes([row(1), row(2).replace("R2,", ",", 1), row(3)])),
         {CSV_FILE: Expected("landed_with_quarantine", 3, 2, {"missing_required": 1})}),
    Case("csv_record_repeated_in_the_file", "faults_csv", write(CSV_FILE, csv_bytes([row(1), row(1), row(2)])),
         {CSV_FILE: Expected("landed_with_quarantine", 3, 2, {"duplicate_record": 1})}),
    Case("csv_required_header_renamed", "faults_csv",
         write(CSV_FILE, csv_bytes([row(1), row(2)], header=HEADER.replace("编号", "编码"))),
         {CSV_FILE: _whole("schema_drift", 2)}, detail_has="missing columns: record_id"),
    Case("csv_crlf_line_ends", "faults_csv", write(CSV_FILE, csv_bytes([row(1), row(2)], newline="\r\n")),
         {CSV_FILE: _landed(2)}, landed=["备注1", "备注2"]),
    Case("csv_blank_lines_between_records", "faults_csv",
         write(CSV_FILE, csv_bytes([row(1), "", row(2), "", "", row(3)])),
         {CSV_FILE: _landed(3)}),
    Case("csv_byte_identical_copy_in_the_partition", "faults_csv",
         both(write(CSV_FILE, csv_bytes([row(1), row(2)])),
              write("faults_20260305_resend.csv", csv_bytes([row(1), row(2)]))),
         {CSV_FILE: _landed(2), "faults_20260305_resend.csv": _whole("duplicate_delivery", 2)}),
    Case("symlink_to_a_file_outside_the_inbox_is_refused", "faults_csv", symlink_to_outside,
         {CSV_FILE: NOT_READ["refused"]}, detail_has="symbolic link"),
    Case("symlink_to_a_file_inside_the_inbox_is_refused", "faults_csv", symlink_inside,
         {CSV_FILE: NOT_READ["refused"]}, detail_has="symbolic link"),
    Case("source_folder_linked_outside_the_inbox_is_refused", "faults_csv", source_folder_outside,
         {CSV_FILE: NOT_READ["refused"]}, detail_has="resolves outside the inbox"),
    Case("fifo_named_like_a_delivery_is_refused", "faults_csv", fifo,
         {CSV_FILE: NOT_READ["refused"]}, detail_has="not a regular file"),
    Case("directory_named_like_a_delivery_is_refused", "faults_csv", directory,
         {CSV_FILE: NOT_READ["refused"]}, detail_has="not a regular file"),
    Case("file_modified_just_now_is_incomplete", "faults_csv", write(CSV_FILE, csv_bytes([row(1)])),
         {CSV_FILE: NOT_READ["incomplete"]}, contract_changes={"complete_after_seconds": 3600},
         detail_has="delivery.complete_after_seconds"),
    Case("file_without_its_done_marker_is_incomplete", "faults_csv", with_marker(False),
         {CSV_FILE: NOT_READ["incomplete"]}, contract_changes={"done_marker": "{name}.done"},
         detail_has="waiting for its done marker faults_20260305.csv.done"),
    Case("file_with_its_done_marker_lands", "faults_csv", with_marker(True),
         {CSV_FILE: _landed(2)}, contract_changes={"done_marker": "{name}.done"}),
    Case("done_marker_matching_the_file_pattern_is_not_a_delivery", "faults_csv", with_marker(True),
         {CSV_FILE: _landed(2)}, contract_changes={"done_marker": "{name}.done",
                                                   "file_pattern": "faults_{partition:%Y%m%d}*"}),
]

JSONL_CASES = [
    Case("jsonl_null_like_text_is_kept_only_json_null_is_null", "faults_jsonl",
         write(JSONL_FILE, jsonl_bytes([event(n, note) for n, note in enumerate(NULL_LIKE_TEXT + [None], 1)])),
         {JSONL_FILE: _landed(7)}, landed=NULL_LIKE_TEXT + [None]),
    Case("jsonl_line_that_is_not_json", "faults_jsonl",
         write(JSONL_FILE, jsonl_bytes([event(1), '{"id": "GE2", "sta', event(3)])),
         {JSONL_FILE: Expected("landed_with_quarantine", 3, 2, {"malformed_json": 1})}),
    Case("jsonl_gbk_line_in_a_utf8_delivery", "faults_jsonl",
         write(JSONL_FILE, jsonl_bytes([event(1), event(2)]) + event(3, "示例区").encode("gbk") + b"\n"
               + jsonl_bytes([event(4)])),
         {JSONL_FILE: Expected("landed_with_quarantine", 4, 3, {"encoding_error": 1})}),
    Case("jsonl_utf16_declared_utf8", "faults_jsonl", write(JSONL_FILE, jsonl_bytes([event(1), event(2)], "utf-16")),
         {JSONL_FILE: _whole("unknown_encoding", 2)}, detail_has="the file is UTF-16"),
    Case("jsonl_field_over_the_limit", "faults_jsonl",
         write(JSONL_FILE, lambda: jsonl_bytes([event(1), event(2, "z" * (2 << 20))])),
         {JSONL_FILE: _whole("oversized_field", 2)}, detail_has="column note"),
    Case("jsonl_binary_file", "faults_jsonl", write(JSONL_FILE, b"\x00\x01\x02" * 100),
         {JSONL_FILE: _whole("unreadable_file", 1, "unreadable")}),
]

XLSX_CASES = [
    Case("xlsx_one_cell_at_xfd1048576", "faults_xlsx",
         write(XLSX_FILE, lambda: xlsx_bytes(xlsx_rows(1), far_cell="XFD1048576")),
         {XLSX_FILE: _whole("xlsx_too_large", 2)}, detail_has="a cell at XFD1048576"),
    Case("xlsx_absurd_dimension", "faults_xlsx",
         write(XLSX_FILE, lambda: with_dimension(xlsx_bytes(xlsx_rows(2)), "A1:XFD1048576")),
         {XLSX_FILE: _whole("xlsx_too_large", 2)}, detail_has="its dimension reaches XFD1048576"),
    Case("xlsx_more_rows_than_the_cap", "faults_xlsx", write(XLSX_FILE, lambda: xlsx_bytes(xlsx_rows(25))),
         {XLSX_FILE: _whole("xlsx_too_large", 25)}, detail_has="beyond 20 data rows"),
    Case("xlsx_more_columns_than_the_cap", "faults_xlsx", write(XLSX_FILE, lambda: xlsx_bytes(xlsx_rows(2, 10))),
         {XLSX_FILE: _whole("xlsx_too_large", 2)}, detail_has="beyond column 8"),
    Case("xlsx_truncated_archive", "faults_xlsx", write(XLSX_FILE, lambda: xlsx_bytes(xlsx_rows(2))[:300]),
         {XLSX_FILE: _whole("unreadable_file", 1, "unreadable")}, detail_has="not a readable XLSX workbook"),
    Case("xlsx_without_the_contract_sheet", "faults_xlsx", write(XLSX_FILE, lambda: xlsx_bytes(xlsx_rows(2), "Sheet1")),
         {XLSX_FILE: _whole("unreadable_file", 1, "unreadable")}, detail_has="sheet '案件' not found"),
    Case("xlsx_null_like_text_is_kept", "faults_xlsx",
         write(XLSX_FILE, lambda: xlsx_bytes(xlsx_rows(0) + [[f"TJ{n}", "2026-03-02", note]
                                                            for n, note in enumerate(NULL_LIKE_TEXT, 1)])),
         {XLSX_FILE: _landed(6)}, landed=NULL_LIKE_TEXT),
    Case("xlsx_excel_error_values_are_noted", "faults_xlsx",
         write(XLSX_FILE, lambda: xlsx_bytes(xlsx_rows(0) + [["TJ1", "2026-03-02", "#N/A"],
                                                            ["TJ2", "2026-03-02", "#DIV/0!"]], errors=True)),
         {XLSX_FILE: _landed(2)}, landed=[None, None], detail_has="2 cell(s) hold an Excel error value"),
]

CASES = CSV_CASES + JSONL_CASES + XLSX_CASES
