from __future__ import annotations

import codecs
import datetime as dt
import json

import duckdb
import pytest
from openpyxl import Workbook

from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.decoding import _has_utf8_lines, decode_delivery
from pipelines.ingestion.readers import read_csv, read_delivery
from pipelines.ingestion.records import FileRejected, UnreadableFileError
from pipelines.ingestion.xlsx import read_xlsx

CONTRACTS = load_contracts()


@pytest.fixture
def engine():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_gbk_is_decoded_in_the_declared_encoding():
    decoded = decode_delivery("示例区,投诉\n".encode("gbk"), "gb18030")
    assert (decoded.text, decoded.encoding, decoded.note) == ("示例区,投诉\n", "gb18030", None)


def test_utf8_delivered_under_a_gbk_contract_is_detected_and_noted():
    decoded = decode_delivery("示例区,投诉\n".encode("utf-8"), "gb18030")
    assert decoded.text == "示例区,投诉\n"
    assert decoded.note == "declared gb18030, delivered as utf-8"


def test_a_few_undecodable_lines_are_marked_and_the_rest_kept_in_the_declared_encoding():
    raw = "头,尾\n".encode("gbk") * 20 + b"\xff\xfe\xfd,x\n" + "好,的\n".encode("gbk")
    decoded = decode_delivery(raw, "gb18030")
    assert decoded.encoding == "gb18030"
    assert decoded.undecodable_lines == frozenset({20})
    assert decoded.text.splitlines()[21] == "好,的"


@pytest.mark.parametrize(("line", "declared", "text"), [
    (b"\xa01", "gb18030", "\ufffd"),  # a four-byte character cut by the line break
    (b"\xff" + "好".encode("gbk") + b"\xa0", "gb18030", "\ufffd好\ufffd"),
    (b"\xe4\xb8,b", "utf-8", "\ufffd,b"),
    ("Á".encode(), "cp1252", "Á"),  # not cp1252 but valid UTF-8: taken as UTF-8
])
def test_an_undecodable_line_reads_as_decoded_alone_with_replacement_characters(line, declared, text):
    """The whole file is decoded in one call, and a failing line reads as decoding it alone would: in UTF-8 when
    valid, else in the declared encoding with replacement characters, whatever the codec does at the line break."""
    good = "é,好".encode(declared, errors="ignore")
    decoded = decode_delivery(b"\n".join([good, good, line, good, b""]), declared)
    assert decoded.text.split("\n")[2:] == [text, good.decode(declared), ""]
    assert decoded.undecodable_lines == (frozenset() if text == "Á" else frozenset({2}))


def test_a_file_in_another_encoding_is_rejected_whole_not_guessed():
    raw = "Ville,Événement,Réclamation déposée à la mairie\n".encode("cp1252") * 30
    with pytest.raises(FileRejected) as rejected:
        decode_delivery(raw, "utf-8", header_lines=1)
    assert rejected.value.reason == "unknown_encoding"
    assert "30 of 31 lines undecodable" in rejected.value.detail
    assert rejected.value.records.num_rows == 29


def test_gbk_lines_that_happen_to_be_valid_utf8_stay_gbk():
    raw = "头,尾\n".encode("gbk") * 3  # CD B7 / CE B2 are also valid two-byte UTF-8
    assert decode_delivery(raw, "gb18030").text == "头,尾\n" * 3


def test_mixed_gbk_and_utf8_lines_are_decided_line_by_line():
    raw = ("a,b\n".encode() + "示例区,投诉\n".encode("gbk") + "示例区,投诉\n".encode("utf-8") + b"\xff\xfe\xfd,x\n"
           + "好,的\n".encode("gbk"))
    decoded = decode_delivery(raw, "gb18030", header_lines=1)
    assert decoded.text.splitlines()[:3] == ["a,b", "示例区,投诉", "示例区,投诉"]
    assert decoded.text.splitlines()[4] == "好,的"
    assert decoded.undecodable_lines == frozenset({3})
    assert decoded.encoding == "utf-8,gb18030"


def test_a_large_mixed_file_costs_a_few_passes_however_many_lines_fail(monkeypatch):
    """Every GBK line fails as UTF-8 here, and a failed decode copies its whole input into the error: the bytes
    handed to the decoder stay a small multiple of the file (decoding the rest of the file after each failing line
    would hand it over once per line)."""
    lines = [f"{n},示例区,投诉{n}".encode("gbk") if n % 50 else f"{n},示例区,来电{n}".encode() for n in range(20_000)]
    lines[10_001] = b"\xff\xfe\xfd,x"
    raw = b"\n".join(lines) + b"\n"
    decode = codecs.decode
    handed = []
    monkeypatch.setattr(codecs, "decode", lambda data, encoding: handed.append(len(data)) or decode(data, encoding))
    decoded = decode_delivery(raw, "gb18030")
    assert decoded.encoding == "utf-8,gb18030"
    assert decoded.undecodable_lines == frozenset({10_001})
    text = decoded.text.splitlines()
    assert (len(text), text[49], text[50]) == (20_000, "49,示例区,投诉49", "50,示例区,来电50")
    assert text[10_002] == "10002,示例区,投诉10002"
    assert sum(handed) <= 4 * len(raw)


@pytest.mark.parametrize(("raw", "has_utf8_line"), [
    ("示例区,投诉\n".encode("gbk") * 5 + "来电".encode(), True),  # the last line, with no line break
    ("示例区,投诉\n".encode("gbk") * 5, False),
    (b"a,\xed\xa0\x80\n", False),  # an encoded surrogate: shaped like a character, not valid UTF-8
    (b"a,\xe0\x80\xaf\n", False),  # an overlong form
    (b"a,\xe4\xb8\n\xad\n", False),  # a character cut by a line break
    ("头,尾\n".encode("gbk") * 2, False),  # GBK valid as UTF-8, but of two-byte characters only
])
def test_a_line_counts_as_utf8_only_when_python_decodes_it_with_a_character_beyond_two_bytes(raw, has_utf8_line):
    assert _has_utf8_lines(raw) is has_utf8_line


def _hotline_csv(rows: list[str], headers: list[str] | None = None) -> bytes:
    contract = CONTRACTS["hotline_12345"]
    header = ",".join(headers or [column.source for column in contract.columns])
    return (header + "\n" + "\n".join(rows) + "\n").encode("gb18030")


GOOD_ROW = "RX1,2026/11/03 14:05:11,电话,投诉,市容环境,标题,示例区,地址,张三,13800138000,,,,,已受理,"


def test_csv_rows_land_as_text_with_record_numbers_and_malformed_rows_are_rejected(tmp_path, engine):
    path = tmp_path / "12345_workorders_20261103.csv"
    extra_field = GOOD_ROW.replace("RX1", "RX2") + ",多余"
    multiline = GOOD_ROW.replace("RX1", "RX3").replace("标题", '"两行\n标题"')
    path.write_bytes(_hotline_csv([GOOD_ROW, extra_field, multiline]))
    read = read_csv(path.read_bytes(), CONTRACTS["hotline_12345"], engine)
    rows = read.records.to_pylist()
    assert [(r["work_order_id"], r["_source_row"]) for r in rows] == [("RX1", 1), ("RX3", 3)]
    assert rows[0]["accepted_at"] == "2026/11/03 14:05:11" and rows[0]["caller_id_number"] is None
    assert rows[1]["request_title"] == "两行\n标题"
    assert [(r.source_row, r.reason) for r in read.rejects] == [(2, "malformed_row")]
    assert read.rejects[0].raw_record == extra_field


def test_csv_missing_and_unexpected_columns_are_reported(tmp_path, engine):
    contract = CONTRACTS["hotline_12345"]
    headers = [column.source for column in contract.columns if column.name != "satisfaction_name"] + ["备注"]
    path = tmp_path / "12345_workorders_20261103.csv"
    path.write_bytes(_hotline_csv([GOOD_ROW], headers))
    read = read_csv(path.read_bytes(), contract, engine)
    assert read.missing_columns == ["satisfaction_name"]
    assert read.records.column("satisfaction_name").to_pylist() == [None]
    assert any("备注" in note for note in read.notes)


def test_csv_without_a_header_is_unreadable(tmp_path, engine):
    path = tmp_path / "12345_workorders_20261103.csv"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFileError, match="no header"):
        read_csv(path.read_bytes(), CONTRACTS["hotline_12345"], engine)


def test_jsonl_nested_values_are_kept_as_json_text_and_broken_lines_rejected(tmp_path, engine):
    event = {"eventId": "GE1", "gridCode": "990102001001001", "categoryCode": "A0101", "reportTime": 1762150000000,
             "status": 3, "statusHistory": [{"status": 1, "time": 1762150000000}], "location": {"lng": 119.45}}
    path = tmp_path / "grid_events_20261103.jsonl"
    path.write_text(json.dumps(event) + "\n" + '{"eventId": "GE2", "grid\n' + "\n[1, 2]\n", encoding="utf-8")
    read = read_delivery(path.read_bytes(), CONTRACTS["grid_events"], engine)
    (row,) = read.records.to_pylist()
    assert row["event_id"] == "GE1" and row["status_code"] == "3" and row["reported_at"] == "1762150000000"
    assert json.loads(row["status_history"]) == event["statusHistory"]
    assert row["longitude"] == "119.45" and row["latitude"] is None and row["_source_row"] == 1
    assert [(r.source_row, r.reason) for r in read.rejects] == [(2, "malformed_json"), (4, "malformed_json")]


def _workbook(path, sheet: str, rows: list[list]) -> None:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    for row in rows:
        worksheet.append(row)
    workbook.save(path)


def test_xlsx_dates_numbers_and_text_become_canonical_text(tmp_path, engine):
    contract = CONTRACTS["mediation_cases"]
    path = tmp_path / "mediation_cases_202611.xlsx"
    headers = [column.source for column in contract.columns]
    row = {"案件编号": "TJ1", "受理日期": dt.date(2026, 11, 3), "结案日期": 46329, "协议金额(元)": 1250.5}
    text_dates = {"案件编号": "TJ2", "受理日期": "2026年11月3日", "结案日期": dt.datetime(2026, 11, 5, 9, 30)}
    _workbook(path, contract.sheet, [headers, [row.get(h) for h in headers], [None] * len(headers),
                                     [text_dates.get(h) for h in headers]])
    read = read_xlsx(path.read_bytes(), contract, engine)
    first, second = read.records.to_pylist()
    assert (first["accepted_date"], first["closed_date"], first["agreement_amount"]) == ("2026-11-03", "46329", "1250.5")
    assert (second["accepted_date"], second["closed_date"]) == ("2026年11月3日", "2026-11-05 09:30:00")
    assert (first["_source_row"], second["_source_row"]) == (1, 3)


def test_xlsx_broken_file_or_missing_sheet_is_unreadable_with_the_reason(tmp_path, engine):
    contract = CONTRACTS["mediation_cases"]
    broken = tmp_path / "mediation_cases_202611.xlsx"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(UnreadableFileError, match="not a readable XLSX workbook"):
        read_xlsx(broken.read_bytes(), contract, engine)
    other_sheet = tmp_path / "mediation_cases_202612.xlsx"
    _workbook(other_sheet, "Sheet1", [["案件编号"], ["TJ1"]])
    with pytest.raises(UnreadableFileError, match="sheet '调解案件' not found"):
        read_xlsx(other_sheet.read_bytes(), contract, engine)
