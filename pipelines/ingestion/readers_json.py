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

from pipelines.ingestion.decoding import DecodedText, decode_delivery
from pipelines.ingestion.json_paths import extracted_columns
from pipelines.ingestion.records import FILE_INDEX, SOURCE_ROW, FileRead, FileRejected, Reject, rows_of_each_file

INVALID_JSON = "invalid_json"


def read_json_documents(raws: list[bytes], contract, engine: duckdb.DuckDBPyConnection
                        ) -> list[FileRead | FileRejected]:
    """Each file's records, or its rejection, in the order given: the arrays' elements of every file in one query
    (planning a query per daily file cost more than reading it)."""
    outcomes: list[FileRead | FileRejected | None] = [None] * len(raws)
    texts: list[tuple[int, DecodedText]] = []
    for position, raw in enumerate(raws):
        try:
            decoded = decode_delivery(raw, contract.encoding)
        except FileRejected as rejected:
            outcomes[position] = rejected
            continue
        if decoded.undecodable_lines:
            outcomes[position] = FileRejected(
                "encoding_error", f"{len(decoded.undecodable_lines)} line(s) not decodable as {contract.encoding}: "
                                  "the document cannot be read")
        else:
            texts.append((position, decoded))
    if not texts:
        return outcomes
    engine.register("json_documents", pa.table({FILE_INDEX: pa.array(range(len(texts)), pa.int32()),
                                                "document": pa.array([text.text for _, text in texts], pa.string())}))
    try:
        kinds = dict(engine.execute(f"select {FILE_INDEX}, try(json_type(document::json)) from json_documents"
                                    ).fetchall())
        arrays = [index for index, kind in kinds.items() if kind == "ARRAY"]
        read = engine.sql(_elements_sql(contract), params=[arrays]).to_arrow_table()
    finally:
        engine.unregister("json_documents")
    for index, ((position, text), elements) in enumerate(zip(texts, rows_of_each_file(read, len(texts)))):
        outcomes[position] = (_file_read(elements, contract, text) if kinds[index] == "ARRAY"
                              else _not_an_array(text.text, engine))
    return outcomes


def _elements_sql(contract) -> str:
    """One pass over the elements of the arrays (the files listed in the parameter): the objects' columns, and the
    text of any other element, in file and element order."""
    elements = f"""
        select {FILE_INDEX}, unnest(range(1, json_array_length(doc)::bigint + 1)) as row_number,
               unnest(from_json(doc, '["json"]')) as element
        from (select {FILE_INDEX}, document::json as doc from json_documents where list_contains(?, {FILE_INDEX}))
    """
    typed = f"select {FILE_INDEX}, row_number, element, json_type(element) as kind from ({elements})"
    return f"""
        select {extracted_columns(contract, 'object')}, {FILE_INDEX}, row_number::bigint as {SOURCE_ROW}, kind, other
        from (
            select {FILE_INDEX}, row_number, kind, case when kind = 'OBJECT' then element end as object,
                   case when kind <> 'OBJECT' then element::varchar end as other
            from ({typed})
        ) order by {FILE_INDEX}, row_number
    """


def _file_read(elements: pa.Table, contract, text: DecodedText) -> FileRead:
    is_object = pc.equal(elements.column("kind"), "OBJECT")
    records = elements.filter(is_object).select([column.name for column in contract.columns] + [SOURCE_ROW])
    not_objects = elements.filter(pc.invert(is_object))
    rejects = [Reject(row, "malformed_json", f"element {row} of the array is a JSON {element_kind.lower()}, "
                                             "not an object", other)
               for row, element_kind, other in zip(not_objects.column(SOURCE_ROW).to_pylist(),
                                                   not_objects.column("kind").to_pylist(),
                                                   not_objects.column("other").to_pylist())]
    return FileRead(records=records, rejects=rejects, encoding=text.encoding, notes=[text.note] if text.note else [])


def _not_an_array(document: str, engine: duckdb.DuckDBPyConnection) -> FileRejected:
    """Why a document is not an array of records: not one JSON document (DuckDB names the byte), or another type."""
    engine.register("json_document", pa.table({"document": [document]}))
    try:
        kind = engine.execute("select json_type(document::json) from json_document").fetchall()[0][0]
    except duckdb.Error as error:  # DuckDB names the byte: "Malformed JSON at byte 4012 of input: ..."
        message = str(error).split("\n")[0].split("  Input:")[0]
        message = message.removeprefix("Conversion Error: ").removeprefix("Invalid Input Error: ")
        return FileRejected(INVALID_JSON, f"not one JSON document: {message}")
    finally:
        engine.unregister("json_document")
    return FileRejected(INVALID_JSON, f"the document is a JSON {kind.lower()}, not an array of records")
