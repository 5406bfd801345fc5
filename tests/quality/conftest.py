"""A small warehouse with the seeds, defective work orders and defective landed hotline rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.warehouse import open_warehouse
from tests.quality.helpers import (
    FCT_SERVICE_REQUEST_COLUMNS,
    HOTLINE_COLUMNS,
    create_table,
    defective_hotline_rows,
    defective_service_requests,
    load_seeds,
    write_landing,
)


@pytest.fixture
def warehouse(workdirs: dict[str, Path]) -> Path:
    """The test's DuckDB file (CITYBRAIN_WAREHOUSE, see tests/conftest.py) with the seeds loaded as text."""
    database = workdirs["warehouse"]
    database.parent.mkdir(parents=True, exist_ok=True)
    with open_warehouse(database) as connection:
        load_seeds(connection)
        connection.execute("CREATE SCHEMA marts")
    return database


@pytest.fixture
def service_requests(warehouse):
    with open_warehouse(warehouse) as connection:
        create_table(connection, "marts.fct_service_request", FCT_SERVICE_REQUEST_COLUMNS, defective_service_requests())
    return warehouse


@pytest.fixture
def hotline_landing(warehouse):
    rows = defective_hotline_rows()
    write_landing("hotline_12345", "2026-03-01", rows[:10], HOTLINE_COLUMNS)
    write_landing("hotline_12345", "2026-03-02", rows[10:], HOTLINE_COLUMNS)
    return warehouse
