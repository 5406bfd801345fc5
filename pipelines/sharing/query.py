"""Reading granted data from the published snapshot. SQL identifiers come only from the validated catalog
(lower-case ASCII names, quoted); every value (row filter, limit, offset) is a bound parameter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import settings
from pipelines.sharing.catalog import Access, Refusal

MARTS_SCHEMA = "marts"
SNAPSHOT_COLUMN = "_snapshot_id"
MASKING_SQL = {
    "none": "{column}",
    "pseudonym": "{column}",  # the mart already holds the keyed pseudonym
    # 13800138000 → 138****8000; a value already masked (or not a phone) is left as it is
    "mask_phone": r"regexp_replace({column}, '^(\d{{3}})\d{{4}}(\d{{4}})$', '\1****\2')",
    "generalize_date_to_month": "cast(date_trunc('month', {column}) as date)",
}


class SnapshotUnavailable(RuntimeError):
    """No published snapshot to serve yet (nothing was published, or it lacks a table)."""


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    published_at: str


@contextmanager
def open_snapshot(path: Path | None = None) -> Iterator[tuple[duckdb.DuckDBPyConnection, Snapshot]]:
    """The current published snapshot, opened read-only for one request: a switched snapshot is seen next time."""
    path = path or settings.serving_path()
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except (duckdb.IOException, duckdb.CatalogException) as error:
        raise SnapshotUnavailable(f"no published snapshot at {path}: {error}") from None
    try:
        connection.execute(f"set TimeZone = '{settings.TIMEZONE}'")
        row = connection.execute("select snapshot_id, published_at::varchar from meta.publication").fetchall()[0]
        yield connection, Snapshot(*row)
    except duckdb.CatalogException as error:
        raise SnapshotUnavailable(f"the snapshot at {path} is incomplete: {error}") from None
    finally:
        connection.close()


def _quoted(name: str) -> str:
    return f'"{name}"'  # safe: catalog names match ^[a-z][a-z0-9_]*$


def chosen_columns(access: Access, requested: list[str] | None) -> list:
    """The granted columns, or the requested subset of them (asking for any other column is refused)."""
    if not requested:
        return list(access.columns)
    granted = {column.name: column for column in access.columns}
    refused = [name for name in requested if name not in granted]
    if refused:
        raise Refusal(403, f"column(s) {', '.join(refused)} of dataset '{access.dataset.name}' are not granted "
                           f"to department '{access.department}'")
    return [granted[name] for name in requested]


def select_sql(access: Access, columns: list, limit: int | None, offset: int,
               snapshot_id: str | None = None) -> tuple[str, list]:
    """One SELECT of the granted, masked columns and rows, ordered so that pages are stable; with a snapshot id,
    a last column names the snapshot."""
    expressions = [
        MASKING_SQL[column.masking].format(column=_quoted(column.name)) + f" as {_quoted(column.name)}"
        for column in columns
    ]
    params = []
    if snapshot_id is not None:
        expressions.append(f"?::varchar as {_quoted(SNAPSHOT_COLUMN)}")
        params.append(snapshot_id)
    sql = f"select {', '.join(expressions)} from {MARTS_SCHEMA}.{_quoted(access.dataset.table)}"
    sql += _where(access)
    params += [value for _, value in access.row_filter]
    sql += " order by all"
    if limit is not None:
        sql += " limit ?"
        params.append(limit)
    sql += " offset ?"
    params.append(offset)
    return sql, params


def _where(access: Access) -> str:
    if not access.row_filter:
        return ""
    return " where " + " and ".join(f"{_quoted(column)} = ?" for column, _ in access.row_filter)


def count_rows(connection: duckdb.DuckDBPyConnection, access: Access) -> int:
    sql = f"select count(*) from {MARTS_SCHEMA}.{_quoted(access.dataset.table)}" + _where(access)
    return connection.execute(sql, [value for _, value in access.row_filter]).fetchall()[0][0]


def fetch_table(connection: duckdb.DuckDBPyConnection, access: Access, columns: list, snapshot: Snapshot,
                limit: int | None = None, offset: int = 0) -> pa.Table:
    """The granted rows as Arrow, with the snapshot id as a last column."""
    sql, params = select_sql(access, columns, limit, offset, snapshot.snapshot_id)
    return _run(connection, sql, params).to_arrow_table()


def fetch_json_rows(connection: duckdb.DuckDBPyConnection, access: Access, columns: list, limit: int,
                    offset: int) -> tuple[str, int]:
    """One page as a JSON array of objects, serialized by DuckDB, and the number of rows in it."""
    sql, params = select_sql(access, columns, limit, offset)
    page = _run(connection, f"select coalesce(to_json(list(page order by page))::varchar, '[]'), count(*) "
                            f"from ({sql}) page", params).fetchall()[0]
    return page[0], page[1]


def _run(connection: duckdb.DuckDBPyConnection, sql: str, params: list):
    try:
        return connection.sql(sql, params=params)
    except duckdb.CatalogException as error:
        raise SnapshotUnavailable(f"the published snapshot lacks what the catalog shares: {error}") from None
