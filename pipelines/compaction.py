"""Compaction of the warehouse: the row-group merges, moved out of the daily runs into a weekly job.

When a connection closes, DuckDB checkpoints; by default that checkpoint also vacuums: it merges row groups of the
tables it writes whose rows now fit in fewer (what delete+insert models and small daily appends leave), which made
some days' runs ~0.7 s slower than others. The pipeline's connections set `max_vacuum_tasks` to 0
(`settings.duckdb_max_vacuum_tasks`), so a run's checkpoint writes its changes only, and `compact` compacts.

It rewrites each table whose live rows fit in fewer row groups than it has, rather than enabling the vacuum and
checkpointing: DuckDB (2.0) reconsiders a table's row groups only when rows were appended to it since the last
checkpoint (a later CHECKPOINT, FORCE CHECKPOINT or VACUUM, a deleted or updated row leave them as they are), and
even then never merges a small tail of row groups until it reaches twice the size of its first. Light on purpose
(no Dagster import): the bench's compaction stage runs it too.
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
    compacted: list[str]  # the tables with slack, rewritten
    seconds: float

    def describe(self) -> str:
        return (f"compacted {len(self.compacted)} table(s) in {self.seconds:.1f} s: row groups "
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
    """Rewrite every table with slack, on a connection to `database` (the pipeline's, opened under the warehouse
    lock), then checkpoint: the checkpoint drops the emptied row groups, the rows are in full ones."""
    started = time.perf_counter()
    before = storage_summary(connection, database)
    compacted = [t.name for t in table_storage(connection) if t.has_slack()]
    for name in compacted:
        _rewrite(connection, name)
    connection.execute("checkpoint")
    after = storage_summary(connection, database)
    return CompactionResult(before, after, compacted, time.perf_counter() - started)


def _rewrite(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    """The table's rows deleted and inserted again in their order, in one transaction: the same table (its
    constraints and comments kept, unlike a CREATE OR REPLACE), its rows appended in full row groups."""
    with transaction(connection):
        connection.execute(f"create temporary table compaction_rows as select * from {name}")
        connection.execute(f"delete from {name}")
        connection.execute(f"insert into {name} select * from compaction_rows")
        connection.execute("drop table compaction_rows")
