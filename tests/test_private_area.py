"""The pipeline's private area: the build warehouse, its lock and write-ahead log, and whatever a writer creates
(landed Parquet folders and files) are owner-only; the serving folders stay readable."""

from __future__ import annotations

import stat
from pathlib import Path

from pipelines import settings
from pipelines.warehouse import warehouse_connection


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_build_warehouse_and_what_writers_create_are_owner_only(workdirs):
    database = workdirs["warehouse"]
    with warehouse_connection() as connection:
        connection.execute("create table t as select range as id from range(100000)")
        wal = database.with_name(database.name + ".wal")
        modes = {path.name: mode(path) for path in (database, wal, database.with_name(database.name + ".lock"))
                 if path.exists()}
        landed = settings.landing_dir() / "source" / "partition_key=2026-03-01"
        landed.mkdir(parents=True)
        connection.execute(f"copy t to '{landed / 'data.parquet'}' (format parquet)")
    assert database.name in modes and len(modes) >= 2
    assert all(value & 0o077 == 0 for value in modes.values()), modes
    for path in (settings.landing_dir(), landed, landed / "data.parquet"):
        assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"


def test_an_existing_world_readable_warehouse_is_made_owner_only(workdirs):
    database = workdirs["warehouse"]
    with warehouse_connection():
        pass
    database.chmod(0o644)
    with warehouse_connection():
        pass
    assert mode(database) == 0o600
