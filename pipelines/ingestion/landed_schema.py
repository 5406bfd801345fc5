"""One Parquet schema per landed source, so readers need no `union_by_name` (which makes every query read every
landed file's footer to unify them). The schema is what landing writes now: the contract's columns, then lineage.
A partition landed before the contract gained or lost a column is rewritten to it (its rows unchanged, a new column
NULL) when the source next lands; the rewrite swaps the file atomically, like landing does."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines.warehouse import restrict_to_owner


def conform_landed_files(connection: duckdb.DuckDBPyConnection, reference: Path, landed: list[Path]) -> list[Path]:
    """Rewrite every landed file whose columns differ from the `reference` file's to its schema; returns them."""
    names = pq.read_schema(reference).names
    rewritten = []
    for path in landed:
        present = pq.read_schema(path).names
        if present == names:
            continue
        types = dict(connection.execute(f"DESCRIBE SELECT * FROM read_parquet('{_sql_path(reference)}')")
                     .fetchall()[i][:2] for i in range(len(names)))
        select = ", ".join(f'"{name}"' if name in present else f'CAST(NULL AS {types[name]}) AS "{name}"'
                           for name in names)
        temporary = path.with_name(f".{path.name}.conforming")
        connection.execute(f"COPY (SELECT {select} FROM read_parquet('{_sql_path(path)}')) "
                           f"TO '{_sql_path(temporary)}' (FORMAT parquet)")
        restrict_to_owner(temporary)
        os.replace(temporary, path)
        rewritten.append(path)
    return rewritten


def _sql_path(path: Path) -> str:
    return path.as_posix().replace("'", "''")
