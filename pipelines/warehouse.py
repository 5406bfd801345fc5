"""The one door to the DuckDB warehouse.

DuckDB allows a single writing process per database file, and Dagster runs steps and runs in parallel
processes. Every connection therefore goes through `warehouse_connection`, which first takes an exclusive
OS-level lock on `<warehouse>.lock`: concurrent writers queue instead of failing with a lock conflict.

Every connection to the warehouse, dbt's included (its profile's `config_options`), is opened with the same DuckDB
configuration, `settings.duckdb_config()`: DuckDB opens a database file once per process and refuses a second
connection with another configuration. `open_warehouse` is that opening, for callers that need no lock.

The build warehouse, the landed Parquet and the quarantine hold raw personal data: they are the pipeline's private
area. Whoever takes the lock switches the process to an owner-only umask (`keep_private`), so every file the
pipeline and its dbt subprocess create from then on (the warehouse and its write-ahead log, the lock, landed
Parquet and its folders) is 0600 / 0700. Folders meant for readers (`warehouse/serving`, `warehouse/exports`)
set their modes explicitly.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines import settings


class WarehouseBusyError(RuntimeError):
    """Raised when the warehouse lock could not be taken within the timeout."""


OWNER_ONLY_UMASK = 0o077
PRIVATE_FILE_MODE = 0o600


def keep_private() -> None:
    """From now on this process (and what it starts) creates files 0600 and folders 0700."""
    os.umask(OWNER_ONLY_UMASK)


def restrict_to_owner(*paths: Path) -> None:
    """Make existing files owner-only (files an earlier version or another umask created)."""
    for path in paths:
        if path.exists():
            os.chmod(path, PRIVATE_FILE_MODE)


@contextmanager
def warehouse_lock(database: Path, timeout_seconds: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock on `database` for the duration of the block (waits for other holders, by default
    for `CITYBRAIN_LOCK_TIMEOUT_SECONDS`)."""
    timeout_seconds = settings.lock_timeout_seconds() if timeout_seconds is None else timeout_seconds
    database.parent.mkdir(parents=True, exist_ok=True)  # it may also hold readers' folders: not owner-only
    keep_private()
    lock_path = database.with_name(database.name + ".lock")
    deadline = time.monotonic() + timeout_seconds
    with open(lock_path, "a+") as lock_file:
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WarehouseBusyError(
                        f"The warehouse {database} stayed locked by another process for {timeout_seconds:.0f} s; "
                        f"see who holds {lock_path} (e.g. `fuser {lock_path}`)."
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


@contextmanager
def warehouse_connection(
    database: Path | None = None, lock_timeout_seconds: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection to the warehouse, opened under the warehouse lock, with the city's time zone and the
    memory limit and threads of the settings."""
    database = database or settings.warehouse_path()
    with warehouse_lock(database, lock_timeout_seconds):
        connection = open_warehouse(database)
        restrict_to_owner(database, database.with_name(database.name + ".wal"),
                          database.with_name(database.name + ".lock"))
        try:
            yield connection
        finally:
            connection.close()


def open_warehouse(database: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the warehouse with the pipeline's configuration and the city's time zone, without
    the lock: for a caller that holds it (warehouse_lock), or that reads what its own run wrote. The caller closes
    it (`with open_warehouse() as connection:`)."""
    connection = duckdb.connect(str(database or settings.warehouse_path()), read_only=read_only,
                                config=settings.duckdb_config())
    # a session setting: DuckDB takes the time zone (an ICU setting) only once the database is open
    connection.execute(f"set TimeZone = '{settings.TIMEZONE}'")
    return connection


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block's statements in one DuckDB transaction: committed together, or rolled back and re-raised."""
    connection.execute("begin transaction")
    try:
        yield
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
