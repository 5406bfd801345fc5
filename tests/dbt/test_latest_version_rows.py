"""latest_version_rows (dbt_project/macros/incremental.sql), compiled by dbt and run by DuckDB on random versions:
the rows it keeps are each record's latest version as the specification orders them (latest partition first, NULL
last, then the latest file, then the last row), computed here in Python, and a version with a NULL key part is
never kept. Composite keys, single-version records, several versions in one partition and NULL partitions occur.
"""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest

from tests.dbt.inline_sql import compile_inline

INLINE_SQL = "{{ latest_version_rows('versions', ['key_a', 'key_b']) }}"
COLUMNS = ("key_a", "key_b", "partition_key", "_source_file", "_source_row", "payload")


def random_versions(rng: random.Random, count: int) -> list[tuple]:
    versions = []
    for payload in range(count):
        key_a = rng.choice([None, "a1", "a2", "a3", "a4"])
        key_b = rng.choice([None, 1, 2, 3, 4, 5, 6])
        partition = rng.choice([None, *(dt.date(2026, 1, 1) + dt.timedelta(days=day) for day in range(4))])
        versions.append((key_a, key_b, partition, f"file_{rng.randint(1, 3)}.csv", rng.randint(1, 5), payload))
    return versions


def expected_latest(versions: list[tuple]) -> set[tuple]:
    """Each record's latest version by the specification, written without the macro."""
    latest: dict[tuple, tuple] = {}
    for version in versions:
        key_a, key_b, partition, source_file, source_row, _ = version
        if key_a is None or key_b is None:
            continue
        rank = (partition is not None, partition or dt.date.min, source_file, source_row)
        kept = latest.get((key_a, key_b))
        if kept is None or rank > kept[0]:
            latest[(key_a, key_b)] = (rank, version)
    return {version for _, version in latest.values()}


@pytest.fixture(scope="module")
def latest_sql() -> str:
    return compile_inline(INLINE_SQL)


@pytest.mark.parametrize("seed", range(20))
def test_keeps_each_records_latest_version_and_no_null_key(latest_sql, seed):
    rng = random.Random(seed)
    versions = random_versions(rng, rng.randint(1, 60))
    # one version per record, partition, file and row: the specification leaves the order of duplicates open
    versions = list({version[:5]: version for version in versions}.values())
    connection = duckdb.connect()
    connection.execute("create table versions (key_a varchar, key_b integer, partition_key date, "
                       "_source_file varchar, _source_row integer, payload integer)")
    connection.executemany("insert into versions values (?, ?, ?, ?, ?, ?)", versions)
    kept = connection.execute(f"select {', '.join(COLUMNS)} from ({latest_sql})").fetchall()
    assert len(kept) == len(set(kept))
    assert set(kept) == expected_latest(versions)
