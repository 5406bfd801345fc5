"""DuckDB allows one writing process; the warehouse lock must make concurrent writers wait, not fail."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from pipelines.warehouse import WarehouseBusyError, open_warehouse, warehouse_connection, warehouse_lock


def _write_rows(database: str, writer: int, rows: int) -> None:
    for row in range(rows):
        with warehouse_connection(Path(database)) as connection:
            connection.execute("create table if not exists writes (writer int, row int)")
            connection.execute("insert into writes values (?, ?)", [writer, row])


def _hold_lock(database: str, seconds: float, ready) -> None:
    with warehouse_lock(Path(database)):
        ready.set()
        time.sleep(seconds)


def test_parallel_writer_processes_are_serialized_and_lose_nothing(tmp_path):
    database = str(tmp_path / "city.duckdb")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_rows, args=(database, writer, 15)) for writer in range(3)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
    assert [process.exitcode for process in writers] == [0, 0, 0]
    with open_warehouse(Path(database), read_only=True) as connection:
        assert connection.execute("select count(*), count(distinct writer) from writes").fetchone() == (45, 3)


def test_a_writer_that_waits_too_long_gets_a_clear_error(tmp_path):
    database = tmp_path / "city.duckdb"
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold_lock, args=(str(database), 3.0, ready))
    holder.start()
    try:
        assert ready.wait(timeout=60)
        with pytest.raises(WarehouseBusyError, match="stayed locked by another process"):
            with warehouse_lock(database, timeout_seconds=0.5):
                pass
    finally:
        holder.join(timeout=30)
    with warehouse_lock(database, timeout_seconds=0.5):
        pass
