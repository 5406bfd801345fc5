"""dbt's compiled SQL of an inline query: tests run a macro's or an ephemeral model's SQL in DuckDB on hand-made rows
without building the project."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

from pipelines import settings

DBT_PROJECT = settings.DBT_PROJECT_DIR


def compile_inline(sql: str, folder: Path) -> str:
    """`dbt compile --inline sql` against an empty warehouse in `folder`; the node's compiled SQL."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITYBRAIN_WAREHOUSE", str(folder / "warehouse.duckdb"))
        mp.setenv("CITYBRAIN_LANDING", str(folder / "landing"))
        mp.setenv("CITYBRAIN_DBT_PLUGINS", str(DBT_PROJECT / "plugins"))
        for name, value in settings.duckdb_environment().items():
            mp.setenv(name, value)
        result = dbtRunner().invoke([
            "compile", "--inline", sql,
            "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
            "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
            # No tracking cookie (.user.yml) in the project, no artifacts or parse cache worth keeping.
            "--no-send-anonymous-usage-stats", "--no-partial-parse", "--no-write-json", "--quiet",
        ])
    assert result.success, f"dbt compile --inline failed: {result.exception!r} (log: {folder / 'logs' / 'dbt.log'})"
    (node,) = result.result.results
    return node.node.compiled_code
