"""dbt's compiled SQL of an inline query: tests run a macro's or an ephemeral model's SQL in DuckDB on hand-made rows
without building the project."""

from __future__ import annotations

from pathlib import Path

from tests.dbt_in_process import run_dbt


def compile_inline(sql: str, folder: Path) -> str:
    """`dbt compile --inline sql` against an empty warehouse in `folder`; the node's compiled SQL."""
    result = run_dbt(["compile", "--inline", sql, "--no-partial-parse", "--no-write-json"], folder,
                     folder / "warehouse.duckdb", folder / "landing")
    assert result.success, f"dbt compile --inline failed: {result.exception!r} (log: {folder / 'logs' / 'dbt.log'})"
    (node,) = result.result.results
    return node.node.compiled_code
