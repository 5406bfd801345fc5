"""The daily runs leave DuckDB's row-group merges out; the weekly compaction job does them, changing no row."""

from __future__ import annotations

import yaml

from pipelines import settings
from pipelines.compaction import ROW_GROUP_ROWS
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
