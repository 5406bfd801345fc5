"""Read JSON Lines deliveries: one record per line (`_source_row` = its 1-based line number).

Contract columns are JSON paths into each line's object; a nested value lands as its JSON text. A line that is not
a JSON object is quarantined as `malformed_json`, one with bytes undecodable in the file's encoding as
`encoding_error`; blank lines are no records.

A run's files are read together, in one query over all their lines (`read_jsonl_files`): planning a query costs
about as much as reading a day's file (~10 ms), so a year of daily files read one query each spent most of its
time planning.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.ingestion.decoding import DecodedText, decode_delivery
from pipelines.ingestion.json_paths import extracted_columns
from pipelines.ingestion.records import FILE_INDEX, SOURCE_ROW, FileRead, FileRejected, Reject, rows_of_each_file


def read_jsonl_files(raws: list[bytes], contract, engine: duckdb.DuckDBPyConnection
                     ) -> list[FileRead | FileRejected]:
    """Each file's records, or its rejection, in the order given."""
    outcomes: list[FileRead | FileRejected | None] = [None] * len(raws)
    decoded: list[tuple[int, DecodedText]] = []
    for position, raw in enumerate(raws):
        try:
            decoded.append((position, decode_delivery(raw, contract.encoding)))
        except FileRejected as rejected:
            outcomes[position] = rejected
    if decoded:
        lines = _lines([text for _, text in decoded])
        engine.register("jsonl_lines", lines)
        try:
            read = engine.sql(_parsed_lines_sql(contract)).to_arrow_table()
        finally:
            engine.unregister("jsonl_lines")
        for (position, text), lines_read in zip(decoded, rows_of_each_file(read, len(decoded))):
            outcomes[position] = _file_read(lines_read, contract, text)
    return outcomes


def _lines(texts: list[DecodedText]) -> pa.Table:
    """Every line of every text (split at each line feed, as `str.split("\\n")`), with its text's index, its
    1-based line number and whether its bytes could not be decoded."""
    split = pc.split_pattern(pa.array([text.text for text in texts], pa.large_string()), "\n")
    offsets = split.offsets.to_numpy()
    owner = pc.list_parent_indices(split).to_numpy().astype(np.int32)
    undecodable = np.zeros(len(owner), dtype=bool)
    for index, text in enumerate(texts):
        if text.undecodable_lines:
            undecodable[offsets[index] + np.fromiter(text.undecodable_lines, np.int64)] = True
    return pa.table({
        FILE_INDEX: owner,
        SOURCE_ROW: np.arange(len(owner), dtype=np.int64) - offsets[owner] + 1,
        "undecodable": undecodable,
        "line": split.flatten(),
    })


def _parsed_lines_sql(contract) -> str:
    """One pass over the non-blank lines, in file and line order: the objects' columns, the others' text."""
    checked = f"""
        select {FILE_INDEX}, {SOURCE_ROW}, line, undecodable,
               coalesce(try(json_type(line::json)) = 'OBJECT', false) as is_object
        from jsonl_lines where trim(line) <> ''
    """
    readable = f"""
        select {FILE_INDEX}, {SOURCE_ROW}, undecodable, is_object and not undecodable as readable,
               case when is_object and not undecodable then line end as object_line,
               case when undecodable or not is_object then line end as unreadable_line
        from ({checked})
    """
    return (f"select {extracted_columns(contract, 'object_line')}, {FILE_INDEX}, {SOURCE_ROW}, readable, undecodable, "
            f"unreadable_line from ({readable}) order by {FILE_INDEX}, {SOURCE_ROW}")


def _file_read(lines: pa.Table, contract, text: DecodedText) -> FileRead:
    readable = lines.column("readable")
    records = lines.filter(readable).select([column.name for column in contract.columns] + [SOURCE_ROW])
    bad = lines.filter(pc.invert(readable))
    rejects = [
        Reject(row, "encoding_error", "bytes not decodable", line) if undecodable_line
        else Reject(row, "malformed_json", "the line is not a JSON object", line)
        for row, undecodable_line, line in zip(bad.column(SOURCE_ROW).to_pylist(),
                                               bad.column("undecodable").to_pylist(),
                                               bad.column("unreadable_line").to_pylist())
    ]
    return FileRead(records=records, rejects=rejects, encoding=text.encoding,
                    notes=[text.note] if text.note else [])
