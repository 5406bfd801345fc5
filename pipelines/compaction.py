"""Compaction of the warehouse: DuckDB's row-group merges, moved out of the daily runs into a weekly job.

When a connection closes, DuckDB checkpoints; by default that checkpoint also vacuums: it merges the row groups of a
table it writes whose rows now fit in fewer (what delete+insert models and small daily appends leave), which made
some days' runs ~0.7 s slower than others. The pipeline's connections set `max_vacuum_tasks` to 0
(`settings.duckdb_max_vacuum_tasks`), so a run's checkpoint writes its changes only; `compact` does the merging.

DuckDB (2.0) reconsiders the row groups of a table at a checkpoint only when rows were appended to it since the
last one: a later `CHECKPOINT`, `FORCE CHECKPOINT` or `VACUUM`, a deleted or an updated row leave its row groups as
they are. So for each table whose live rows would fit in fewer row groups than it has, `compact` deletes its last
row and inserts it again in one transaction (the same rows; one row gets a new rowid), then checkpoints with
DuckDB's default vacuum, again while that still merges. Light on purpose (no Dagster import): the bench's compaction stage runs it too.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.warehouse import transaction

# DuckDB's rows per row group (the warehouse is created with the default)
ROW_GROUP_ROWS = 122_880
# checkpoints per compaction at most (each merges up to three adjacent row groups at a time per table)
MAX_PASSES = 4


@dataclass(frozen=True)
class TableStorage:
    name: str  # "schema"."table", quoted
    row_groups: int
    rows: int  # live rows

    def has_slack(self) -> bool:
        """Its live rows fit in fewer row groups than it has (what a vacuum can merge)."""
        return self.row_groups > max(1, math.ceil(self.rows / ROW_GROUP_ROWS))


@dataclass(frozen=True)
class StorageSummary:
    row_groups: int
    tables_with_slack: int
    used_bytes: int  # the database file's blocks in use
    file_bytes: int

    def describe(self) -> str:
        return (f"{self.row_groups} row groups ({self.tables_with_slack} table(s) with slack), "
                f"{self.used_bytes / 2**20:.0f} MiB used of a {self.file_bytes / 2**20:.0f} MiB file")


@dataclass(frozen=True)
class CompactionResult:
    before: StorageSummary
    after: StorageSummary
    compacted: list[str]  # the tables with slack, whose row groups the checkpoint considered
    checkpoints: int
    seconds: float

    def describe(self) -> str:
        return (f"compacted {len(self.compacted)} table(s) in {self.seconds:.1f} s ({self.checkpoints} "
                f"checkpoint(s)): row groups "
                f"{self.before.row_groups} -> {self.after.row_groups}; before: {self.before.describe()}; "
                f"after: {self.after.describe()}")


def table_storage(connection: duckdb.DuckDBPyConnection) -> list[TableStorage]:
    """Every table of the warehouse (not views, not temporary) with its row groups and live rows."""
    tables = connection.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and not temporary order by 1, 2").fetchall()
    storage = []
    for schema, table in tables:
        name = f'"{schema}"."{table}"'
        [(row_groups,)] = connection.execute(
            "select count(distinct row_group_id) from pragma_storage_info(?)", [name]).fetchall()
        [(rows,)] = connection.execute(f"select count(*) from {name}").fetchall()
        storage.append(TableStorage(name, row_groups, rows))
    return storage


def storage_summary(connection: duckdb.DuckDBPyConnection, database: Path) -> StorageSummary:
    tables = table_storage(connection)
    [(block_size, used_blocks)] = connection.execute(
        "select block_size, used_blocks from pragma_database_size() where database_name = current_database()"
    ).fetchall()
    return StorageSummary(sum(t.row_groups for t in tables), sum(t.has_slack() for t in tables),
                          block_size * used_blocks, os.path.getsize(database))


def compact(connection: duckdb.DuckDBPyConnection, database: Path) -> CompactionResult:
    """Merge the row groups of every table with slack, on a connection to `database` (the pipeline's, opened under
    the warehouse lock): DuckDB's default vacuum for this checkpoint, each such table marked as appended to."""
    started = time.perf_counter()
    before = storage_summary(connection, database)
    slack = {t.name: t.row_groups for t in table_storage(connection) if t.has_slack()}
    compacted = list(slack)
    connection.execute("reset max_vacuum_tasks")  # DuckDB's default (a global setting: this database, until closed)
    checkpoints = 0
    while slack and checkpoints < MAX_PASSES:
        checkpoints += 1
        for name in slack:
            _move_last_row(connection, name)
        connection.execute("checkpoint")
        # a checkpoint merges a few adjacent row groups at a time: again, while it still merges
        slack = {t.name: t.row_groups for t in table_storage(connection)
                 if t.name in slack and t.has_slack() and t.row_groups < slack[t.name]}
    after = storage_summary(connection, database)
    return CompactionResult(before, after, compacted, checkpoints, time.perf_counter() - started)


def _move_last_row(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """An append to the table that changes none of its rows: its last row deleted and inserted again, at once."""
    last = f"rowid = (select max(rowid) from {name})"
    with transaction(connection):
        connection.execute(f"create temporary table compaction_moved_row as select * from {name} where {last}")
        connection.execute(f"delete from {name} where {last}")
        connection.execute(f"insert into {name} select * from compaction_moved_row")
        connection.execute("drop table compaction_moved_row")
