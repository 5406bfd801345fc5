"""Arrow tables as the files departments open: CSV (UTF-8 with BOM, so Excel reads the Chinese text),
Parquet, and XLSX (Excel's row limit permitting)."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

UTF8_BOM = b"\xef\xbb\xbf"
XLSX_MAX_DATA_ROWS = 1_048_575  # 1,048,576 rows per sheet, one of them the header
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def csv_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    buffer.write(UTF8_BOM)
    pa_csv.write_csv(table, buffer)
    return buffer.getvalue()


def parquet_bytes(table: pa.Table, metadata: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    schema_metadata = {**(table.schema.metadata or {}), **{key.encode(): value.encode() for key, value in metadata.items()}}
    pq.write_table(table.replace_schema_metadata(schema_metadata), buffer)
    return buffer.getvalue()


def write_xlsx(table: pa.Table, path: Path, sheet_title: str) -> None:
    """Excel cannot hold time zones: timestamps are written as local (Asia/Shanghai) wall-clock time."""
    from openpyxl import Workbook

    if table.num_rows > XLSX_MAX_DATA_ROWS:
        raise ValueError(f"{table.num_rows} rows exceed the {XLSX_MAX_DATA_ROWS} rows of an Excel sheet")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet.append(table.column_names)
    local = pa.table([_without_time_zone(column) for column in table.columns], names=table.column_names)
    # openpyxl takes rows of Python values: converted a batch at a time, the only row-wise step (XLSX needs it)
    for batch in local.to_batches(max_chunksize=10_000):
        for row in zip(*(column.to_pylist() for column in batch.columns)):
            sheet.append(row)
    workbook.save(path)


def _without_time_zone(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_timestamp(column.type) and column.type.tz:
        return pc.local_timestamp(column)
    if pa.types.is_decimal(column.type):
        return column.cast(pa.float64())
    return column
