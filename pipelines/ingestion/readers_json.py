"""Read a JSON document delivery: one document per file, a JSON array holding one object per record.

Each element of the array is one record (`_source_row` = its 1-based position); contract columns are JSON paths
into it (`location.district`), and a nested value (the response steps of an emergency) lands as its JSON text,
as the JSON Lines reader lands it. An element that is not an object is quarantined as `malformed_json`. A file
that is not one JSON document, or whose document is not an array, is quarantined whole as `invalid_json`; so is a
file with bytes undecodable in its encoding (`encoding_error`), whose records cannot be told apart.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingestion.decoding import decode_delivery
from pipelines.ingestion.json_paths import extracted_columns
from pipelines.ingestion.records import SOURCE_ROW, FileRead, FileRejected, Reject

INVALID_JSON = "invalid_json"


def read_json_document(raw: bytes, contract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    decoded = decode_delivery(raw, contract.encoding)
    if decoded.undecodable_lines:
        raise FileRejected("encoding_error", f"{len(decoded.undecodable_lines)} line(s) not decodable as "
                                             f"{contract.encoding}: the document cannot be read")
    engine.register("json_document", pa.table({"document": [decoded.text]}))
    try:
        kind = _document_type(engine)
        if kind != "ARRAY":
            raise FileRejected(INVALID_JSON, f"the document is a JSON {kind.lower()}, not an array of records")
        elements = """
            select unnest(range(1, json_array_length(doc)::bigint + 1)) as row_number,
                   unnest(from_json(doc, '["json"]')) as element
            from (select document::json as doc from json_document)
        """
        typed = f"select row_number, element, json_type(element) as kind from ({elements})"
        # one pass over the elements: the objects' columns, and the text of any other element
        read = engine.sql(f"""
            select {extracted_columns(contract, 'object')}, row_number::bigint as {SOURCE_ROW}, kind, other
            from (
                select row_number, kind, case when kind = 'OBJECT' then element end as object,
                       case when kind <> 'OBJECT' then element::varchar end as other
                from ({typed})
            ) order by row_number
        """).to_arrow_table()
    finally:
        engine.unregister("json_document")
    is_object = pc.equal(read.column("kind"), "OBJECT")
    records = read.filter(is_object).select([column.name for column in contract.columns] + [SOURCE_ROW])
    not_objects = read.filter(pc.invert(is_object))
    rejects = [Reject(row, "malformed_json", f"element {row} of the array is a JSON {element_kind.lower()}, "
                                             "not an object", text)
               for row, element_kind, text in zip(not_objects.column(SOURCE_ROW).to_pylist(),
                                                  not_objects.column("kind").to_pylist(),
                                                  not_objects.column("other").to_pylist())]
    return FileRead(records=records, rejects=rejects, encoding=decoded.encoding,
                    notes=[decoded.note] if decoded.note else [])


def _document_type(engine: duckdb.DuckDBPyConnection) -> str:
    try:
        return engine.execute("select json_type(document::json) from json_document").fetchall()[0][0]
    except duckdb.Error as error:  # DuckDB names the byte: "Malformed JSON at byte 4012 of input: ..."
        message = str(error).split("\n")[0].split("  Input:")[0]
        message = message.removeprefix("Conversion Error: ").removeprefix("Invalid Input Error: ")
        raise FileRejected(INVALID_JSON, f"not one JSON document: {message}") from None
