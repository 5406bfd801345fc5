"""Fault-injection suite: each bad delivery through the real landing asset, materialized with Dagster.

Every case asserts that the step succeeds, each file's ledger status and counts (rows read = the delivery's
true record count), the quarantine rows by reason (as many as the ledger says), and, where given, the landed
values or the ledger's detail. The cases are in fault_cases.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

from pipelines.assets.landing import build_landing_asset
from pipelines.ingestion.contracts import load_contracts
from pipelines.warehouse import open_warehouse

from tests.ingestion.fault_cases import CASES, CSV_FILE, DAY, MONTH, OUTSIDE_SECRET, Case, csv_bytes, row

FAULT_CONTRACTS = load_contracts(Path(__file__).parent / "fault_contracts")
CHECKED_COLUMN = "note"


@pytest.fixture(scope="module")
def instance():
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def land(contract, partition_key: str, instance, run_config=None):
    return materialize([build_landing_asset(contract)], partition_key=partition_key, instance=instance,
                       run_config=run_config, raise_on_error=False)


def query(workdirs, sql: str, params=None) -> list[tuple]:
    with open_warehouse(workdirs["warehouse"], read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def landed_values(workdirs, source: str, partition_key: str) -> list:
    path = workdirs["landing"] / source / f"partition_key={partition_key}" / "data.parquet"
    return [value for (value,) in query(workdirs, f"select {CHECKED_COLUMN} from '{path}' order by _source_row")]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fault(case: Case, workdirs, instance):
    contract = replace(FAULT_CONTRACTS[case.source], **case.contract_changes)
    partition_key = MONTH if contract.partition_type == "monthly" else DAY
    case.deliver(workdirs["inbox"] / contract.source)

    result = land(contract, partition_key, instance)

    assert result.success, "the landing step must not fail on bad input"
    ledger = {name: rest for name, *rest in query(
        workdirs, "select source_file, status, rows_read, rows_landed, rows_quarantined, file_sha256, detail "
                  "from ops.ingestion_ledger where partition_key = ?", [partition_key])}
    reasons = Counter()
    for name, reason, count in query(workdirs, "select source_file, reason, count(*) from ops.quarantine group by all"):
        reasons[(name, reason)] = count
    assert set(ledger) == {f"{contract.source}/{name}" for name in case.expected}
    for name, expected in case.expected.items():
        status, read, landed, quarantined, digest, detail = ledger[f"{contract.source}/{name}"]
        assert (status, read, landed, quarantined) == (
            expected.status, expected.rows_read, expected.rows_landed, expected.rows_read - expected.rows_landed)
        of_file = {reason: n for (file, reason), n in reasons.items() if file == f"{contract.source}/{name}"}
        assert of_file == expected.reasons
        assert sum(of_file.values()) == quarantined
        if status in ("refused", "incomplete"):
            assert digest == "" and OUTSIDE_SECRET not in (detail or "")
    if case.detail_has:
        assert any(case.detail_has in (detail or "") for *_, detail in ledger.values()), ledger
    if case.landed is not None:
        assert landed_values(workdirs, contract.source, partition_key) == case.landed


def test_the_suite_has_at_least_30_cases():
    assert len(CASES) >= 30


CSV_CONTRACT = FAULT_CONTRACTS["faults_csv"]


def _ledger(workdirs):
    return query(workdirs, "select status, source_file, rows_read, rows_landed from ops.ingestion_ledger "
                           "order by loaded_at, status")


def test_a_partition_with_no_file_keeps_its_landed_data_and_records_no_delivery(workdirs, instance):
    delivered = workdirs["inbox"] / CSV_CONTRACT.source / CSV_FILE
    delivered.parent.mkdir()
    delivered.write_bytes(csv_bytes([row(1), row(2)]))
    assert land(CSV_CONTRACT, DAY, instance).success
    delivered.unlink()  # the inbox was archived

    again = land(CSV_CONTRACT, DAY, instance)

    assert again.success
    assert landed_values(workdirs, CSV_CONTRACT.source, DAY) == ["备注1", "备注2"]
    assert _ledger(workdirs) == [("landed", f"faults_csv/{CSV_FILE}", 2, 2), ("no_delivery", "", 0, 0)]
    metadata = again.asset_materializations_for_node("landing__faults_csv")[0].metadata
    assert metadata["partitions_keeping_earlier_data"].value == [DAY]
    assert metadata["dagster/row_count"].value == 2
    land(CSV_CONTRACT, DAY, instance)
    assert [status for status, *_ in _ledger(workdirs)] == ["landed", "no_delivery"]


def test_replacing_landed_data_with_nothing_takes_allow_empty_replace(workdirs, instance):
    delivered = workdirs["inbox"] / CSV_CONTRACT.source / CSV_FILE
    delivered.parent.mkdir()
    delivered.write_bytes(csv_bytes([row(1)]))
    assert land(CSV_CONTRACT, DAY, instance).success
    delivered.unlink()

    emptied = land(CSV_CONTRACT, DAY, instance,
                   run_config={"ops": {"landing__faults_csv": {"config": {"allow_empty_replace": True}}}})

    assert emptied.success
    assert landed_values(workdirs, CSV_CONTRACT.source, DAY) == []
    assert _ledger(workdirs) == [("no_delivery", "", 0, 0)]
    assert query(workdirs, "select count(*) from ops.quarantine") == [(0,)]


def test_an_incomplete_file_does_not_replace_landed_data(workdirs, instance):
    delivered = workdirs["inbox"] / CSV_CONTRACT.source / CSV_FILE
    delivered.parent.mkdir()
    delivered.write_bytes(csv_bytes([row(1)]))
    assert land(CSV_CONTRACT, DAY, instance).success
    delivered.write_bytes(csv_bytes([row(1), "R2,2026/03/05 08:0"]))  # being rewritten, cut off

    assert land(replace(CSV_CONTRACT, complete_after_seconds=3600), DAY, instance).success

    assert landed_values(workdirs, CSV_CONTRACT.source, DAY) == ["备注1"]
    assert [status for status, *_ in _ledger(workdirs)] == ["landed", "incomplete"]


def test_an_unwritable_landing_folder_fails_the_step_with_one_line_naming_it(workdirs, instance, monkeypatch):
    not_a_folder = workdirs["landing"].parent / "landing_is_a_file"
    not_a_folder.write_text("")
    monkeypatch.setenv("CITYBRAIN_LANDING", str(not_a_folder / "landing"))
    delivered = workdirs["inbox"] / CSV_CONTRACT.source / CSV_FILE
    delivered.parent.mkdir()
    delivered.write_bytes(csv_bytes([row(1)]))

    result = land(CSV_CONTRACT, DAY, instance)

    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert "\n" not in message and str(not_a_folder) in message and "cannot write landed data" in message


def test_a_file_that_cannot_be_opened_is_unreadable_not_a_crash(workdirs, instance, monkeypatch):
    delivered = workdirs["inbox"] / CSV_CONTRACT.source / CSV_FILE
    delivered.parent.mkdir()
    delivered.write_bytes(csv_bytes([row(1)]))

    def permission_denied(delivery):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pipelines.ingestion.landing.read_delivery_bytes", permission_denied)
    assert land(CSV_CONTRACT, DAY, instance).success
    assert query(workdirs, "select status, rows_read, rows_quarantined, detail from ops.ingestion_ledger") == [
        ("unreadable", 1, 1, "cannot be opened: Permission denied")]
    assert query(workdirs, "select reason from ops.quarantine") == [("unreadable_file",)]


def test_landed_files_and_folders_are_private(workdirs, instance):
    delivered = workdirs["inbox"] / CSV_CONTRACT.source / CSV_FILE
    delivered.parent.mkdir()
    delivered.write_bytes(csv_bytes([row(1)]))
    assert land(CSV_CONTRACT, DAY, instance).success
    landed = workdirs["landing"] / CSV_CONTRACT.source / f"partition_key={DAY}" / "data.parquet"
    assert (landed.stat().st_mode & 0o777, landed.parent.stat().st_mode & 0o777,
            landed.parent.parent.stat().st_mode & 0o777) == (0o600, 0o700, 0o700)
