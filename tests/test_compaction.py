"""The daily runs leave DuckDB's row-group merges out; the weekly compaction job does them, changing no row."""

from __future__ import annotations

import duckdb
import yaml

from pipelines import settings
from pipelines.compaction import ROW_GROUP_ROWS, compact, table_storage
from pipelines.warehouse import warehouse_connection

ROWS = 4 * ROW_GROUP_ROWS  # four full row groups


def _row_groups(connection, table: str) -> int:
    [(count,)] = connection.execute(
        "select count(distinct row_group_id) from pragma_storage_info(?)", [table]).fetchall()
    return count


def _content(connection, table: str) -> tuple:
    return connection.execute(f"select count(*), sum(hash(id, code)) from {table}").fetchone()


def test_a_day_leaves_the_slack_and_the_compaction_job_merges_it(workdirs):
    from pipelines.maintenance import warehouse_compaction_job

    with warehouse_connection() as connection:
        connection.execute(f"create table facts as select i as id, i % 97 as code from range({ROWS}) r(i)")
        connection.execute("create schema ops")
        connection.execute("create table ops.small as select 1 as id, 2 as code")
        connection.execute("create table appended as select i as id, i % 97 as code from range(50000) r(i)")
    # a day as a delete+insert model writes it: 40 % of the rows deleted, the day's rows appended
    with warehouse_connection() as connection:
        connection.execute("delete from facts where id % 5 < 2")
        connection.execute(f"insert into facts select {ROWS} + i, i % 97 from range(100) r(i)")
    for day in range(1, 4):  # days that only append: each starts a small row group
        with warehouse_connection() as connection:
            connection.execute(f"insert into appended select {day} * 100000 + i, i % 97 from range(3000) r(i)")
    with warehouse_connection() as connection:
        day_row_groups = _row_groups(connection, "facts")
        facts, small = _content(connection, "facts"), _content(connection, "ops.small")
        appended = _content(connection, "appended")
        assert _row_groups(connection, "appended") == 4
    assert day_row_groups == 5  # the four row groups with their deleted rows, and the day's

    result = warehouse_compaction_job.execute_in_process()

    assert result.success
    with warehouse_connection() as connection:
        assert _row_groups(connection, "facts") < day_row_groups
        assert (_content(connection, "facts"), _content(connection, "ops.small")) == (facts, small)
        assert _row_groups(connection, "ops.small") == 1
        assert (_row_groups(connection, "appended"), _content(connection, "appended")) == (1, appended)


def test_every_writer_of_the_warehouse_leaves_vacuum_to_the_compaction(workdirs):
    with warehouse_connection() as connection:
        assert connection.execute("select current_setting('max_vacuum_tasks')").fetchone() == (0,)
    profile = yaml.safe_load((settings.DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    dbt_options = profile["citybrain"]["outputs"]["dev"]["config_options"]
    assert "CITYBRAIN_DUCKDB_MAX_VACUUM_TASKS" in dbt_options["max_vacuum_tasks"]
    assert settings.dbt_environment()["CITYBRAIN_DUCKDB_MAX_VACUUM_TASKS"] == "0"


def _storage(connection) -> dict[str, tuple[tuple[int, ...], int]]:
    """Per table: the rows each row group stores (deleted ones included) and its live rows."""
    return {table.name: (table.stored, table.rows) for table in table_storage(connection)}


def test_the_compaction_rewrites_only_tables_it_merges_and_all_of_their_tail(workdirs):
    """Every table whose tail moves ends with fewer row groups or fewer deleted rows. A tail with a gap in its rowids
    (a row group dropped within it) moves whole; a table that cannot merge anything is not rewritten: one small row
    group, full ones and a partial tail, or a few deleted rows that no run of row groups could merge away."""
    database = settings.warehouse_path()
    with warehouse_connection() as connection:
        for table in ("gapped", "partial_tail"):
            connection.execute(
                f"create table {table} as select i as id, i % 97 as code from range({ROW_GROUP_ROWS}) r(i)")
        connection.execute("create table single as select i as id, i % 97 as code from range(10) r(i)")
        connection.execute("insert into partial_tail select 1000000 + i, 0 from range(4000) r(i)")
        connection.execute("create table scattered as select * from partial_tail where false")
    for day, rows in enumerate((3000, 5000, 2000), start=1):  # each day's append starts a row group
        with warehouse_connection() as connection:
            connection.execute(f"insert into gapped select {day} * 1000000 + i, 0 from range({rows}) r(i)")
    for day, rows in enumerate((ROW_GROUP_ROWS, 600, 4 * ROW_GROUP_ROWS, 5000), start=1):
        with warehouse_connection() as connection:
            connection.execute(f"insert into scattered select {day} * 10000000 + i, 0 from range({rows}) r(i)")
    with warehouse_connection() as connection:
        connection.execute("delete from scattered where id < 10000100")  # 100 rows of the first row group
    with duckdb.connect(str(database)) as connection:  # DuckDB's default vacuum drops the emptied row group
        connection.execute("delete from gapped where id between 2000000 and 2999999")
        connection.execute("insert into gapped values (-1, 0)")
        connection.execute("delete from gapped where id = -1")
    with warehouse_connection() as connection:
        before = _storage(connection)
        contents = {name: _content(connection, name) for name in before}
        assert before['"main"."gapped"'][0] == (ROW_GROUP_ROWS, 3000, 2000)
        assert before['"main"."scattered"'][0] == (ROW_GROUP_ROWS, 600, *[ROW_GROUP_ROWS] * 4, 5000)
        assert connection.execute("select max(rowid) + 1 from gapped").fetchone()[0] > sum(before['"main"."gapped"'][0])

        result = compact(connection, database)

        after = _storage(connection)
        assert {name: _content(connection, name) for name in after} == contents
    for name in result.compacted:
        (stored, rows), (stored_after, rows_after) = before[name], after[name]
        assert len(stored_after) < len(stored) or sum(stored_after) - rows_after < sum(stored) - rows, name
    assert after['"main"."gapped"'][0] == (ROW_GROUP_ROWS, 5000)
    assert result.compacted == ['"main"."gapped"']
    unchanged = ('"main"."partial_tail"', '"main"."scattered"', '"main"."single"')
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}
