"""The DuckDB databases opened in this process while a block runs, with their configuration and who opened them:
the end-to-end build shows that it opens the warehouse only through the door (pipelines/warehouse.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest


@dataclass(frozen=True)
class Opening:
    database: Path
    config: dict[str, Any] | None
    caller: str  # file:line of the code that called duckdb.connect


@contextmanager
def recorded_openings() -> Iterator[list[Opening]]:
    openings: list[Opening] = []
    connect = duckdb.connect

    def recording_connect(database: str = ":memory:", read_only: bool = False, config: dict | None = None,
                          **options: Any) -> duckdb.DuckDBPyConnection:
        frame = sys._getframe(1)
        openings.append(Opening(Path(database).resolve(), config, f"{frame.f_code.co_filename}:{frame.f_lineno}"))
        return connect(database, read_only=read_only, config=config or {}, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(duckdb, "connect", recording_connect)
        yield openings
