"""Read an XML delivery: one record per `delivery.record_element` element, each column's text exactly as delivered.

A column's `source` is a path relative to the record element: `名称` or `主体/名称` is the text of that child
element, `@类型` or `主体/@类型` an attribute. Namespace prefixes are ignored (elements match by local name).
Parsing goes through defusedxml: a DTD with entity declarations (billion laughs), external entities and external
DTDs are refused before anything is expanded or fetched (`unsafe_xml`); a document that is not well-formed is
`malformed_xml`. Either quarantines the whole file, each record element found in its text counted as a record.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

import duckdb
import pyarrow as pa
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.decoding import decode_delivery
from pipelines.ingestion.records import REJECT_SCHEMA, SOURCE_ROW, FileRead, FileRejected, map_columns

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def read_xml(raw: bytes, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    decoded = decode_delivery(raw, contract.encoding)
    # The text is decoded already: its declaration's encoding no longer applies (expat would refuse GBK).
    text = _XML_DECLARATION.sub("", decoded.text, count=1)
    try:
        root = fromstring(text)  # defaults: entity declarations and external references forbidden
    except DefusedXmlException as error:
        raise FileRejected("unsafe_xml", f"refused before parsing further: {error}",
                           _record_texts(decoded.text, contract.record_element)) from None
    except ParseError as error:
        raise FileRejected("malformed_xml", f"not well-formed XML: {error}",
                           _record_texts(decoded.text, contract.record_element)) from None
    for element in root.iter():
        element.tag = _local(element.tag)
        element.attrib = {_local(key): value for key, value in element.attrib.items()}
    records = [element for element in root.iter() if element.tag == contract.record_element]
    columns = {column.source: pa.array([_value(record, column.source) for record in records], pa.string())
               for column in contract.columns}
    columns[SOURCE_ROW] = pa.array(range(1, len(records) + 1), pa.int64())
    read = map_columns(pa.table(columns), contract)
    # a column no record carries is missing, as a header absent from a CSV (optional elements may be left out)
    read.missing_columns = [column.name for column in contract.columns
                            if not any(_present(record, column.source) for record in records)] if records else []
    if read.missing_columns:
        read.notes.append("missing columns: " + ", ".join(read.missing_columns))
    read.encoding = decoded.encoding
    if decoded.note:
        read.notes.append(decoded.note)
    return read


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _split_path(path: str) -> tuple[str, str | None]:
    """`主体/@类型` → ('主体', '类型'); `主体/名称` → ('主体/名称', None); `@类型` → ('.', '类型')."""
    element, _, attribute = path.rpartition("@")
    if not _:
        return path, None
    return element.rstrip("/") or ".", attribute


def _value(record: Element, path: str) -> str | None:
    """The element's text (all its text, nested included) or the attribute, as delivered; empty is NULL."""
    element_path, attribute = _split_path(path)
    element = record.find(element_path)
    if element is None:
        return None
    value = element.get(attribute) if attribute else "".join(element.itertext())
    return value or None


def _present(record: Element, path: str) -> bool:
    element_path, attribute = _split_path(path)
    element = record.find(element_path)
    return element is not None and (attribute is None or attribute in element.attrib)


def _record_texts(text: str, record_element: str) -> pa.Table:
    """Each record element's text in a document that cannot be parsed: from one start tag to the next."""
    starts = [match.start() for match in re.finditer(rf"<(?:[\w.-]+:)?{re.escape(record_element)}[\s/>]", text)]
    bounds = [*starts[1:], len(text)]
    return pa.table({"source_row": pa.array(range(1, len(starts) + 1), pa.int64()),
                     "raw_record": pa.array([text[start:end].strip() for start, end in zip(starts, bounds)],
                                            pa.string())}, schema=REJECT_SCHEMA)
