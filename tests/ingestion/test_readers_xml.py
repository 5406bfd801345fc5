"""The XML reader: one record per record element, text exactly as delivered, unsafe or malformed XML quarantined
whole with each record element counted. Uses the credit_lists contract's record element and paths."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.readers import read_delivery
from pipelines.ingestion.records import FileRejected

CONTRACT = load_contracts()["credit_lists"]
RECORD = CONTRACT.record_element
PATHS = {column.name: column.source for column in CONTRACT.columns}


def _entry(entry_id: str, **elements: str) -> str:
    """A record element from contract column names: `@x` paths become attributes, others nested elements."""
    attributes = {path.rsplit("@", 1)[0].rstrip("/"): (path.rsplit("@", 1)[1], value)
                  for name, value in elements.items() if "@" in (path := PATHS[name])}
    children: dict[str, list[str]] = {}
    for name, value in elements.items():
        path = PATHS[name]
        if "@" not in path:
            parent, _, leaf = path.rpartition("/")
            children.setdefault(parent, []).append(f"<{leaf}>{value}</{leaf}>")
    nested = "".join(
        f"<{parent}{''.join(f' {a}={chr(34)}{v}{chr(34)}' for p, (a, v) in attributes.items() if p == parent)}>"
        f"{''.join(children.get(parent, []))}</{parent}>"
        for parent in sorted({*children, *attributes} - {""}))
    key_attribute = PATHS["entry_id"].lstrip("@")
    return f'<{RECORD} {key_attribute}="{entry_id}">{nested}{"".join(children.get("", []))}</{RECORD}>'


def _read(text: str):
    return read_delivery(text.encode("utf-8"), CONTRACT, duckdb.connect())


def test_each_record_element_is_one_row_with_text_and_attributes_exactly_as_delivered():
    document = (f'<?xml version="1.0" encoding="UTF-8"?>\n<list xmlns="urn:credit">'
                + _entry("E1", subject_type_name="法人", uscc=" 91350100m000100y43 ", list_type_name="黑名单",
                         listed_date="2026/03/02")
                + "<!-- a comment --><batch>"
                + _entry("E2", subject_type_name="自然人", list_type_name="红名单", listed_date="") + "</batch>"
                + "</list>")
    read = _read(document)
    rows = read.records.to_pylist()
    assert [row["entry_id"] for row in rows] == ["E1", "E2"]
    assert [row["_source_row"] for row in rows] == [1, 2]
    assert rows[0]["uscc"] == " 91350100m000100y43 " and rows[0]["listed_date"] == "2026/03/02"
    assert rows[0]["subject_type_name"] == "法人" and rows[1]["subject_type_name"] == "自然人"
    assert rows[1]["listed_date"] is None and rows[1]["uscc"] is None  # empty and absent: NULL
    assert "citizen_id_number" in read.missing_columns and "uscc" not in read.missing_columns
    assert read.encoding == "utf-8"


def test_a_byte_order_mark_and_a_declared_encoding_are_read():
    body = f'<?xml version="1.0" encoding="GB18030"?><list>{_entry("E1", list_type_name="黑名单")}</list>'
    contract = CONTRACT.__class__(**{**CONTRACT.__dict__, "encoding": "gb18030"})
    read = read_delivery(body.encode("gb18030"), contract, duckdb.connect())
    assert read.records.column("list_type_name").to_pylist() == ["黑名单"]
    assert _read("\ufeff" + body.replace("GB18030", "UTF-8")).records.num_rows == 1


def test_malformed_xml_quarantines_the_file_counting_each_record_element():
    document = f"<list>{_entry('E1')}{_entry('E2')}{_entry('E3')[:-12]}"
    with pytest.raises(FileRejected) as rejected:
        _read(document)
    assert rejected.value.reason == "malformed_xml"
    assert "not well-formed XML" in rejected.value.detail and "line 1" in rejected.value.detail
    assert rejected.value.records.column("source_row").to_pylist() == [1, 2, 3]
    assert rejected.value.records.column("raw_record").to_pylist()[0] == _entry("E1")


@pytest.mark.parametrize("preamble", [
    # billion laughs: nested entity expansion
    '<!DOCTYPE list [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    # XXE: an external entity reading a local file
    '<!DOCTYPE list [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
])
def test_entity_declarations_are_refused_before_anything_is_expanded(preamble):
    with pytest.raises(FileRejected) as rejected:
        _read(f"{preamble}<list>{_entry('E1', legal_basis='&b;')}</list>")
    assert rejected.value.reason == "unsafe_xml"
    assert rejected.value.records.num_rows == 1
    assert "root:" not in rejected.value.detail


def test_a_nested_path_finds_its_first_element_in_document_order_under_any_parent():
    parent, leaf = PATHS["subject_name"].split("/")
    key_attribute = PATHS["entry_id"].lstrip("@")
    entry = (f'<{RECORD} {key_attribute}="E1"><{parent}/><{parent}><{leaf}>second parent</{leaf}>'
             f"<{leaf}>later</{leaf}></{parent}></{RECORD}>")
    assert _read(f"<list>{entry}</list>").records.column("subject_name").to_pylist() == ["second parent"]


def test_a_document_reads_the_same_with_or_without_a_dtd_that_declares_no_entity():
    document = f"<list>{_entry('E1', subject_type_name='法人', list_type_name='黑名单')}</list>"
    plain = _read(document)  # no DTD: expat's C tree builder
    for through_defusedxml in (f"<!DOCTYPE list>{document}", document.replace("</list>", "<!-- <!DOCTYPE --></list>")):
        assert _read(through_defusedxml).records.equals(plain.records)
    assert plain.records.num_rows == 1
