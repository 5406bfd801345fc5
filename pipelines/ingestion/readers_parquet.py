"""Read a Parquet delivery (database extracts): every column landed as text, exactly as delivered.

Parquet columns are typed; landing keeps text, so each typed column is written as its text form:
- a timestamp with a time zone as ISO 8601 with its offset (`2026-03-01T08:05:00+08:00`, fractions only when the
  value has them), unambiguous whatever the reader's time zone; a timestamp without a zone as local wall-clock text
  (`2026-03-01 08:05:00`), which staging reads in the city's time zone as it does any local text;
- dates as `YYYY-MM-DD`, numbers and booleans as their literal text, nested values (lists, structs) as JSON text.
A file that is not valid Parquet (truncated, another format, a corrupt page) is quarantined whole as
`invalid_parquet`; its records cannot be told apart, so it counts as one record.
"""

from __future__ import annotations

import io

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.records import SOURCE_ROW, FileRead, FileRejected, map_columns

INVALID_PARQUET = "invalid_parquet"
_ZONED_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"


def read_parquet(raw: bytes, contract: SourceContract, engine: duckdb.DuckDBPyConnection) -> FileRead:
    try:
        table = pq.read_table(io.BytesIO(raw))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise FileRejected(INVALID_PARQUET, f"not a valid Parquet file ({len(raw):,} bytes): {error}") from None
    columns = {name: _as_text(name, table.column(name), engine) for name in table.column_names}
    columns[SOURCE_ROW] = pa.array(range(1, table.num_rows + 1), pa.int64())
    return map_columns(pa.table(columns), contract)


def _as_text(name: str, column: pa.ChunkedArray, engine: duckdb.DuckDBPyConnection) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_dictionary(kind):
        return _as_text(name, column.cast(kind.value_type), engine)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.string())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        try:
            return column.cast(pa.string())  # validates UTF-8
        except pa.ArrowInvalid:
            raise FileRejected(INVALID_PARQUET, f"column {name} holds bytes that are not UTF-8 text") from None
    if pa.types.is_timestamp(kind):
        return _timestamp_text(column)
    if pa.types.is_nested(kind):
        engine.register("parquet_nested", pa.table({"value": column}))
        text = engine.sql("select to_json(value)::varchar as value from parquet_nested").to_arrow_table()
        engine.unregister("parquet_nested")
        return text.column("value")
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    return column.cast(pa.string())  # integers, floats, decimals, dates (ISO), times


def _timestamp_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO text with the offset for zoned values, local text for naive ones; fractions only where present."""
    kind = column.type
    if kind.tz is None:
        text = pc.strftime(column, format=_LOCAL_FORMAT)
    else:
        text = pc.strftime(column, format=_ZONED_FORMAT)  # the zone's local time and offset: +0800
        text = pc.replace_substring_regex(text, r"([+-]\d\d)(\d\d)$", r"\1:\2")
    # %S writes the unit's fraction digits (08:05:00.000); an all-zero fraction says nothing
    return pc.replace_substring_regex(text, r"\.0+($|[+-])", r"\1")
