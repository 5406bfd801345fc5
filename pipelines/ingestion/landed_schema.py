"""One Parquet schema per landed source, so readers need no `union_by_name` (which makes every query read every
landed file's footer to unify them). The schema is what landing writes now: the contract's columns, then lineage.
A partition landed before the contract gained or lost a column is rewritten to it (its rows unchanged, a new column
NULL) when the source next lands; the rewrite swaps the file atomically, like landing does."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.warehouse import restrict_to_owner

LANDED_ROW_GROUP_ROWS = 122_880  # DuckDB's own row group size: its readers split a scan by row group


def write_landed_file(table: pa.Table, path: Path) -> None:
    """Write landed rows as every landed file is written (Arrow's writer: a third of the CPU of DuckDB's COPY),
    readable by the owner only."""
    pq.write_table(table, path, row_group_size=LANDED_ROW_GROUP_ROWS)
    restrict_to_owner(path)


def conform_landed_files(reference: Path, landed: list[Path]) -> list[Path]:
    """Rewrite every landed file whose columns differ from the `reference` file's to its schema; returns them."""
    schema = pq.read_schema(reference)
    rewritten = []
    for path in landed:
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
    return rewritten
