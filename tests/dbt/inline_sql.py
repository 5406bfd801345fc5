"""dbt's compiled SQL of an inline query: tests run a macro's or an ephemeral model's SQL in DuckDB on hand-made rows
without building the project.

Every compile of a test process shares one scratch folder (an empty warehouse, dbt's target and logs): dbt parses
the project once and then reads its parse back (~0.7 s a compile against ~6-10 s for a full parse each time). The
project's files do not change during a test run; a parse from another run is never read (a new folder per
process)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from tests.dbt_in_process import run_dbt


@cache
def inline_folder() -> Path:
    """This process's scratch folder of inline compiles, removed when it ends."""
    folder = Path(tempfile.mkdtemp(prefix="citybrain-dbt-inline-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def inline_warehouse() -> Path:
    """The empty warehouse the inline compiles run against (dbt-duckdb keeps it open until the process ends)."""
    return inline_folder() / "warehouse.duckdb"


def compile_inline(sql: str) -> str:
    """`dbt compile --inline sql` against the empty scratch warehouse; the node's compiled SQL."""
    folder = inline_folder()
    result = run_dbt(["compile", "--inline", sql, "--no-write-json"], folder, inline_warehouse(), folder / "landing")
    assert result.success, f"dbt compile --inline failed: {result.exception!r} (log: {folder / 'logs' / 'dbt.log'})"
    (node,) = result.result.results
    return node.node.compiled_code
