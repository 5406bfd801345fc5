"""A governance run leaves out the models of a due source that delivered nothing (pipelines/delivered.py), and only
when nothing can have changed for them: a file read for its due partition, or built rows of that partition (landed
data replaced with nothing), or anything it cannot tell, keeps the source in. Sources come from the contracts'
rhythms, never a list of names."""

from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pytest

from pipelines.assets.dbt import GOVERNANCE, delivered_sources, governance_selection
from pipelines.delivered import sources_delivered
from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.ops_tables import ensure_ops_tables
from pipelines.partitions import sources_due

CONTRACTS = load_contracts()
DAY = date(2026, 6, 10)  # a Wednesday mid-month: the daily sources are due
DAILY = sorted(source for source, contract in CONTRACTS.items() if contract.partition_type == "daily")
MODEL = "main.department_model"


@pytest.fixture
def connection():
    with duckdb.connect() as connection:
        ensure_ops_tables(connection)
        connection.execute(f"create table {MODEL} (record_id varchar, partition_key date)")
        yield connection


def _ledger(connection, source: str, status: str, day: date = DAY) -> None:
    rows = 0 if status == "no_delivery" else 3
    connection.execute("insert into ops.ingestion_ledger values ('load', ?, ?, 'f', '', null, ?, ?, ?, 0, null, "
                       "null, ?)", [source, day.isoformat(), status, rows, rows, datetime.now(timezone.utc)])


def _delivered(connection, models=None) -> list[str]:
    return sources_delivered(connection, CONTRACTS, DAY, DAY, models or {source: [MODEL] for source in CONTRACTS})


def test_a_source_with_a_file_read_for_its_due_partition_is_delivered(connection):
    late, on_time = DAILY[0], DAILY[1:]
    assert set(sources_due(CONTRACTS, DAY, DAY)) == set(DAILY)
    for source in on_time:
        _ledger(connection, source, "landed")
    _ledger(connection, late, "no_delivery")
    _ledger(connection, late, "landed", DAY.replace(day=9))  # another day's delivery is not this day's
    assert _delivered(connection) == on_time
    selection = governance_selection(CONTRACTS, DAY, DAY, _delivered(connection)).split()
    assert f"source:{late}+" not in selection and {f"source:{source}+" for source in on_time} <= set(selection)


def test_built_rows_of_a_partition_replaced_with_nothing_keep_the_source(connection):
    for source in DAILY:
        _ledger(connection, source, "no_delivery")
    assert _delivered(connection) == []
    connection.execute(f"insert into {MODEL} values ('r1', ?)", [DAY])
    assert _delivered(connection) == DAILY


def test_what_cannot_be_told_keeps_the_source(connection):
    for source in DAILY:
        _ledger(connection, source, "no_delivery")
    unknown = {source: None for source in CONTRACTS}  # a model without partition_key
    assert _delivered(connection, unknown) == DAILY
    assert _delivered(connection, {source: ["main.not_built"] for source in CONTRACTS}) == DAILY
    with duckdb.connect() as empty:  # no ledger yet
        assert _delivered(empty) == DAILY


def test_the_prepared_manifest_names_each_sources_partitioned_models(connection):
    for source in DAILY:
        _ledger(connection, source, "no_delivery")
    # the manifest's department tables are not built in this database: every due source stays in
    assert delivered_sources(connection, CONTRACTS, DAY, DAY) == DAILY
    assert governance_selection(CONTRACTS, DAY, DAY, []) != GOVERNANCE
