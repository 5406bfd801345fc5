"""One Parquet schema per landed source, so readers need no `union_by_name` (which makes every query read every
landed file's footer to unify them). The schema is what landing writes now: the contract's columns, then lineage.
A partition landed before the contract gained or lost a column is rewritten to it (its rows unchanged, a new column
NULL) when the source next lands; the rewrite swaps the file atomically, like landing does. A marker in the source's
folder names the columns its files were last conformed to, so a landing under an unchanged contract reads no other
file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.warehouse import restrict_to_owner

LANDED_ROW_GROUP_ROWS = 122_880  # DuckDB's own row group size: its readers split a scan by row group
# In a source's landing folder, beside its partition folders (readers glob `*/*.parquet`, so never read it)
CONFORMED_MARKER = ".conformed_columns.json"


def write_landed_file(table: pa.Table, path: Path) -> None:
    """Write landed rows as every landed file is written (Arrow's writer: a third of the CPU of DuckDB's COPY),
    readable by the owner only."""
    pq.write_table(table, path, row_group_size=LANDED_ROW_GROUP_ROWS)
    restrict_to_owner(path)


def conform_landed_files(reference: Path, landed: Callable[[], list[Path]]) -> list[Path]:
    """Rewrite every landed file (`landed()` lists them) whose columns differ from the `reference` file's to its
    schema; returns them. The source folder's marker names the columns every file there was last conformed to:
    while the reference has the same, no file needs reading or even listing (a day's landing would otherwise
    list the source's whole history and read every footer)."""
    schema = pq.read_schema(reference)
    marker = reference.parent.parent / CONFORMED_MARKER
    if marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == schema.names:
        return []
    rewritten = []
    for path in landed():
        present = pq.read_schema(path).names
        if present == schema.names:
            continue
        table = pq.ParquetFile(path).read()  # the file alone: no column from its hive-style folder name
        temporary = path.with_name(f".{path.name}.conforming")
        write_landed_file(pa.table([table.column(field.name) if field.name in present
                                    else pa.nulls(table.num_rows, field.type) for field in schema],
                                   names=schema.names), temporary)
        os.replace(temporary, path)
        rewritten.append(path)
    temporary = marker.with_name(f"{marker.name}.writing")
    temporary.write_text(json.dumps(schema.names, ensure_ascii=False), encoding="utf-8")
    restrict_to_owner(temporary)
    os.replace(temporary, marker)
    return rewritten
