"""dbt opens the warehouse with the configuration of every other connection (pipelines/warehouse.py): DuckDB opens
a database file once per process and refuses a second connection with another configuration."""

from __future__ import annotations

import duckdb
import pytest

from pipelines import settings
from pipelines.warehouse import open_warehouse
from tests.dbt.inline_sql import compile_inline, inline_warehouse


def test_the_door_opens_the_warehouse_that_dbt_holds_open_in_the_same_process():
    compile_inline("select 1 as one")  # dbt-duckdb keeps its database open until the process ends
    warehouse = inline_warehouse()
    with pytest.raises(duckdb.ConnectionException, match="different configuration"):
        duckdb.connect(str(warehouse))  # still open with dbt's configuration: DuckDB's defaults are refused
    with open_warehouse(warehouse) as connection:
        threads, vacuum_tasks = connection.execute(
            "select current_setting('threads'), current_setting('max_vacuum_tasks')").fetchone()
    assert (threads, vacuum_tasks) == (settings.duckdb_threads(), settings.duckdb_max_vacuum_tasks())


def test_dbt_finds_the_schemas_of_the_warehouse():
    """dbt creates, as a run starts, the schemas it does not find: asked about the database as dbt names it (quoted),
    the listing finds the warehouse's schemas (macros/schemas.sql), so a run does not create them again."""
    compiled = compile_inline(
        "{% set database = api.Relation.create(database=target.database) | string %}"
        "{% set listed = list_schemas(database).columns[0].values() if execute else [] %}"
        "select '{{ database }}' as asked, '{{ listed | join(',') }}' as listed")
    (asked, listed), = duckdb.sql(compiled).fetchall()
    assert asked.startswith('"')
    assert "main" in listed.split(",")
