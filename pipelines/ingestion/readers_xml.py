"""Read an XML delivery: one record per `delivery.record_element` element, each column's text exactly as delivered.

A column's `source` is a path relative to the record element: `名称` or `主体/名称` is the text of that child
element, `@类型` or `主体/@类型` an attribute. Namespace prefixes are ignored (elements match by local name).
A document with a DTD is parsed through defusedxml: entity declarations (billion laughs), external entities and
external DTDs are refused before anything is expanded or fetched (`unsafe_xml`). One without (`<!DOCTYPE` nowhere
in its text) can declare no entity, so it goes to expat's C tree builder: defusedxml's hooks run in Python for every
element, 3x the time. A document that is not well-formed is `malformed_xml`. Either quarantines the whole file,
each record element found in its text counted as a record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree.ElementTree import Element, ParseError
from xml.etree.ElementTree import fromstring as parse_without_dtd  # only text with no DTD: see _parse

import duckdb
import pyarrow as pa
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_refusing_entities

from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.decoding import decode_delivery
from pipelines.ingestion.records import REJECT_SCHEMA, SOURCE_ROW, FileRead, FileRejected, map_columns

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_PLAIN_NAME = re.compile(r"[\w-]+")  # an element name in a path step, with nothing ElementPath reads as syntax


def read_xml(raw: bytes, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    decoded = decode_delivery(raw, contract.encoding)
    # The text is decoded already: its declaration's encoding no longer applies (expat would refuse GBK).
    text = _XML_DECLARATION.sub("", decoded.text, count=1)
    try:
        root = _parse(text)
    except DefusedXmlException as error:
        raise FileRejected("unsafe_xml", f"refused before parsing further: {error}",
                           _record_texts(decoded.text, contract.record_element)) from None
    except ParseError as error:
        raise FileRejected("malformed_xml", f"not well-formed XML: {error}",
                           _record_texts(decoded.text, contract.record_element)) from None
    if "xmlns" in text:  # without a namespace declaration no name has a namespace part
        for element in root.iter():
            element.tag = _local(element.tag)
            element.attrib = {_local(key): value for key, value in element.attrib.items()}
    records = list(root.iter(contract.record_element))
    paths = {column.source: _locator(column.source) for column in contract.columns}
    columns = {source: pa.array([_value(record, *path) for record in records], pa.string())
               for source, path in paths.items()}
    columns[SOURCE_ROW] = pa.array(range(1, len(records) + 1), pa.int64())
    read = map_columns(pa.table(columns), contract)
    # a column no record carries is missing, as a header absent from a CSV (optional elements may be left out)
    read.missing_columns = [column.name for column in contract.columns
                            if not any(_present(record, *paths[column.source]) for record in records)] if records else []
    if read.missing_columns:
        read.notes.append("missing columns: " + ", ".join(read.missing_columns))
    read.encoding = decoded.encoding
    if decoded.note:
        read.notes.append(decoded.note)
    return read


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _parse(text: str) -> Element:
    if "<!DOCTYPE" in text:
        return parse_refusing_entities(text)  # defaults: entity declarations and external references forbidden
    return parse_without_dtd(text)  # no DTD: no entity can be declared or fetched


def _locator(path: str) -> tuple[Callable[[Element], Element | None], str | None]:
    """How to find a column's element in a record, and its attribute: `主体/@类型` → (the first `主体`, '类型');
    `主体/名称` → (the first `名称` under any `主体`, None); `@类型` → (the record, '类型')."""
    element_path, _, attribute = path.rpartition("@")
    if not _:
        element_path, attribute = path, None
    element_path = element_path.rstrip("/") or "."
    steps = element_path.split("/")
    if element_path == ".":
        return (lambda record: record), attribute
    if all(_PLAIN_NAME.fullmatch(step) for step in steps):
        return (lambda record: _find(record, steps)), attribute
    return (lambda record: record.find(element_path)), attribute


def _find(element: Element, steps: list[str]) -> Element | None:
    """The first element at the path of plain names, in document order, as `element.find("a/b")` finds it (the
    first `b` under any `a`), one child step at a time: a single name is found in C, a path with `/` in Python."""
    if len(steps) == 1:
        return element.find(steps[0])
    for child in element.findall(steps[0]):
        found = _find(child, steps[1:])
        if found is not None:
            return found
    return None


def _value(record: Element, locate: Callable[[Element], Element | None], attribute: str | None) -> str | None:
    """The element's text (all its text, nested included) or the attribute, as delivered; empty is NULL."""
    element = locate(record)
    if element is None:
        return None
    value = element.get(attribute) if attribute else "".join(element.itertext())
    return value or None


def _present(record: Element, locate: Callable[[Element], Element | None], attribute: str | None) -> bool:
    element = locate(record)
    return element is not None and (attribute is None or attribute in element.attrib)


def _record_texts(text: str, record_element: str) -> pa.Table:
    """Each record element's text in a document that cannot be parsed: from one start tag to the next."""
    starts = [match.start() for match in re.finditer(rf"<(?:[\w.-]+:)?{re.escape(record_element)}[\s/>]", text)]
    bounds = [*starts[1:], len(text)]
    return pa.table({"source_row": pa.array(range(1, len(starts) + 1), pa.int64()),
                     "raw_record": pa.array([text[start:end].strip() for start, end in zip(starts, bounds)],
                                            pa.string())}, schema=REJECT_SCHEMA)
