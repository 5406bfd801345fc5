"""Compaction of the warehouse: the row-group merges, moved out of the daily runs into a weekly job.

When a connection closes, DuckDB checkpoints; by default that checkpoint also vacuums: it merges row groups of the
tables it writes whose rows now fit in fewer (what delete+insert models and small daily appends leave), which made
some days' runs ~0.7 s slower than others. The pipeline's connections set `max_vacuum_tasks` to 0
(`settings.duckdb_max_vacuum_tasks`), so a run's checkpoint writes its changes only, and `compact` compacts.

DuckDB (2.0) reconsiders a table's row groups at a checkpoint only when rows were appended to it since the last one
(a later CHECKPOINT, FORCE CHECKPOINT or VACUUM, a deleted or an updated row leave them as they are), and never
merges a small tail of row groups (each day's append starts one) until it reaches twice the size of its first. So
for each table whose live rows fit in fewer row groups than it has, and whose tail does too or whose deleted rows
could let the vacuum merge a run of row groups, `compact` moves the rows of its tail (the row groups after its last
full one, else its last row): deleted and inserted again in one transaction, the same rows, appended in full row
groups. Then it checkpoints with DuckDB's default vacuum, which merges the rest. Any other table is left as it is
(a single small row group; full ones and one partial tail; a few deleted rows no run could merge away): moving its
tail would merge nothing.
Light on purpose (no Dagster import): the bench's compaction stage runs it too.
"""

from __future__ import annotations

import itertools
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
    stored: tuple[int, ...]  # the rows each row group holds, deleted ones included, in rowid order
    rows: int  # live rows

    @property
    def row_groups(self) -> int:
        return len(self.stored)

    def has_slack(self) -> bool:
        """Its live rows fit in fewer row groups than it has."""
        return self.row_groups > max(1, math.ceil(self.rows / ROW_GROUP_ROWS))

    def tail(self) -> tuple[int, ...]:
        """The stored rows of the row groups after its last full one."""
        return tuple(itertools.takewhile(lambda rows: rows < ROW_GROUP_ROWS, reversed(self.stored)))[::-1]

    def compactable(self) -> bool:
        """Slack that moving the tail, or the vacuum, can take: the tail fits in fewer row groups, or rows were
        deleted where the vacuum can merge (not slack that only rewriting the middle of the table would take, such
        as the partly filled row groups a parallel insert leaves)."""
        tail = self.tail()
        tail_slack = len(tail) > math.ceil(sum(tail) / ROW_GROUP_ROWS)
        return self.has_slack() and (tail_slack or self._vacuum_can_merge())

    def _vacuum_can_merge(self) -> bool:
        """Whether, were all deleted rows in them, some 2, 3 or 4 consecutive row groups would fit in one fewer:
        DuckDB's vacuum merges a run of row groups into at most 3 (MAX_MERGE_COUNT in its RowGroupCollection), so
        without such a run the deleted rows stay where they are (where they lie is not known: an upper bound)."""
        deleted = sum(self.stored) - self.rows
        return deleted > 0 and any(
            sum(self.stored[start:start + count]) - deleted <= (count - 1) * ROW_GROUP_ROWS
            for count in (2, 3, 4) for start in range(self.row_groups - count + 1))


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
    compacted: list[str]  # the tables whose tail moved
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
        [(rows,)] = connection.execute(f"select count(*) from {name}").fetchall()
        storage.append(TableStorage(name, _stored_rows(connection, name), rows))
    return storage


def _stored_rows(connection: duckdb.DuckDBPyConnection, name: str) -> tuple[int, ...]:
    return tuple(rows for (rows,) in connection.execute(
        "select sum(count) from pragma_storage_info(?) where column_id = 0 and column_path = '[0]' "
        "group by row_group_id order by row_group_id", [name]).fetchall())


def storage_summary(connection: duckdb.DuckDBPyConnection, database: Path,
                    tables: list[TableStorage] | None = None) -> StorageSummary:
    tables = table_storage(connection) if tables is None else tables
    [(block_size, used_blocks)] = connection.execute(
        "select block_size, used_blocks from pragma_database_size() where database_name = current_database()"
    ).fetchall()
    return StorageSummary(sum(t.row_groups for t in tables), sum(t.has_slack() for t in tables),
                          block_size * used_blocks, os.path.getsize(database))


def compact(connection: duckdb.DuckDBPyConnection, database: Path) -> CompactionResult:
    """Compact every table with slack, on a connection to `database` (the pipeline's, opened under the warehouse
    lock): its tail moved, then a checkpoint with DuckDB's default vacuum (a global setting: this database, until
    the connection closes)."""
    started = time.perf_counter()
    tables = table_storage(connection)
    before = storage_summary(connection, database, tables)
    compacted = [table for table in tables if table.compactable()]
    connection.execute("reset max_vacuum_tasks")
    for table in compacted:
        _move_tail(connection, table)
    connection.execute("checkpoint")
    after = storage_summary(connection, database)
    return CompactionResult(before, after, [table.name for table in compacted], time.perf_counter() - started)


def _move_tail(connection: duckdb.DuckDBPyConnection, table: TableStorage) -> None:
    """The rows of the table's tail (else its last row) deleted and inserted again, in their order, in one
    transaction: constraints hold, no row changes, and they are appended (which has the checkpoint reconsider the
    table's row groups). The tail is the last live rows, as many as its row groups store: rowids are not reckoned
    back from the last one, since a row group dropped within the tail leaves a gap in them (the rows before the gap
    stayed in place, and the rewrite merged nothing); deleted rows in the tail move some rows before it too."""
    name, rows = table.name, max(sum(table.tail()), 1)
    with transaction(connection):
        [(first,)] = connection.execute(
            f"select min(rowid) from (select rowid from {name} order by rowid desc limit {rows})").fetchall()
        moved = f"rowid >= {first}"
        connection.execute(
            f"create temporary table compaction_moved as select * from {name} where {moved} order by rowid")
        connection.execute(f"delete from {name} where {moved}")
        connection.execute(f"insert into {name} select * from compaction_moved")
        connection.execute("drop table compaction_moved")
