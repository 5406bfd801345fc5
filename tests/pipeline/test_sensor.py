"""The inbox sensor: a run per complete, not yet landed delivery of an ended period; files that match no contract
reported with their reason (skip message, the landing assets' inbox check, ops.unmatched_deliveries)."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from dagster import DagsterInstance, build_sensor_context

from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.landing import land_partition
from pipelines.partitions import last_complete_day
from pipelines.warehouse import warehouse_connection


def _deliver(folder, name: str, age_seconds: float = 3600, text: str = "x") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    then = time.time() - age_seconds
    os.utime(path, (then, then))


def _tick(cursor=None):
    from pipelines.definitions import defs

    sensor = defs.resolve_sensor_def("inbox_sensor")
    context = build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=cursor,
                                   repository_def=defs.get_repository_def())
    return sensor.evaluate_tick(context)


def _daily_name(contract, day) -> str:
    return contract.file_glob(day).replace("*", "")


@pytest.fixture
def inbox(workdirs):
    return workdirs["inbox"]


def test_the_sensor_is_on_by_default():
    from dagster import DefaultSensorStatus

    from pipelines.definitions import defs

    assert defs.resolve_sensor_def("inbox_sensor").default_status == DefaultSensorStatus.RUNNING


def test_a_complete_delivery_of_an_ended_period_requests_its_partition_once(inbox):
    contracts = load_contracts()
    daily = next(c for c in contracts.values() if c.partition_type == "daily")
    monthly = next(c for c in contracts.values() if c.partition_type == "monthly")
    yesterday = last_complete_day()
    last_month = (yesterday.replace(day=1) - timedelta(days=1)).replace(day=1)
    _deliver(inbox / daily.source, _daily_name(daily, yesterday))
    _deliver(inbox / monthly.source, _daily_name(monthly, last_month))
    result = _tick()
    assert sorted((r.job_name, r.partition_key) for r in result.run_requests) == sorted([
        (f"{daily.source}_landing_job", yesterday.isoformat()),
        (f"{monthly.source}_landing_job", last_month.isoformat())])
    first_keys = {r.run_key for r in result.run_requests}
    _deliver(inbox / daily.source, _daily_name(daily, yesterday), text="changed content")
    assert {r.run_key for r in _tick().run_requests} != first_keys


def test_a_landed_file_is_not_requested_again_until_it_changes(inbox):
    daily = next(c for c in load_contracts().values() if c.partition_type == "daily")
    day = last_complete_day()
    _deliver(inbox / daily.source, _daily_name(daily, day), age_seconds=7200)
    with warehouse_connection() as connection:
        land_partition(daily, day.isoformat(), connection)
        connection.execute("update ops.ingestion_ledger set loaded_at = loaded_at - interval 1 hour")
    result = _tick()
    assert not result.run_requests and "1 already landed" in result.skip_message
    # overwritten 10 minutes ago, after it was landed an hour ago
    _deliver(inbox / daily.source, _daily_name(daily, day), age_seconds=600, text="a corrected export")
    assert [r.partition_key for r in _tick().run_requests] == [day.isoformat()]


def test_deliveries_not_ready_wait_without_a_run(inbox):
    contracts = load_contracts()
    daily = next(c for c in contracts.values() if c.partition_type == "daily")
    monthly = next(c for c in contracts.values() if c.partition_type == "monthly")
    today = last_complete_day() + timedelta(days=1)
    _deliver(inbox / daily.source, _daily_name(daily, today))  # today has not ended
    _deliver(inbox / monthly.source, _daily_name(monthly, today.replace(day=1)))  # nor has this month
    _deliver(inbox / daily.source, _daily_name(daily, today - timedelta(days=1)), age_seconds=0)  # being written
    result = _tick()
    assert not result.run_requests
    assert "2 period not ended" in result.skip_message and "1 incomplete" in result.skip_message


def test_files_matching_no_contract_are_reported_with_their_reason(inbox):
    daily = next(c for c in load_contracts().values() if c.partition_type == "daily")
    _deliver(inbox / daily.source, "export (1).csv")
    _deliver(inbox / daily.source, _daily_name(daily, daily.start_date - timedelta(days=1)))
    _deliver(inbox / "unknown_department", "data.csv")
    _deliver(inbox, "loose.csv")
    _deliver(inbox / daily.source, ".upload.tmp")  # hidden: an upload in progress, not a delivery
    result = _tick()
    expected = {
        f"{daily.source}/export (1).csv": "name_mismatch",
        f"{daily.source}/{_daily_name(daily, daily.start_date - timedelta(days=1))}": "before_source_start",
        "unknown_department/data.csv": "unknown_source",
        "loose.csv": "outside_source_folder",
    }
    with warehouse_connection() as connection:
        recorded = dict(connection.execute("select inbox_path, reason from ops.unmatched_deliveries").fetchall())
    assert recorded == expected
    assert all(f"{path} ({reason})" in result.skip_message for path, reason in expected.items())
    evaluations = {e.asset_key.path[-1]: e for e in result.asset_events}
    assert not evaluations[daily.source].passed and "export (1).csv" in evaluations[daily.source].description
    assert all(e.passed for source, e in evaluations.items() if source != daily.source)
    # the same inbox at the next tick: nothing new to report
    again = _tick(cursor=result.cursor)
    assert again.asset_events == [] and "4 file(s) match no contract" in again.skip_message


def test_a_busy_warehouse_skips_the_tick(inbox, monkeypatch):
    import pipelines.automation as automation
    from pipelines import settings
    from pipelines.warehouse import warehouse_lock

    monkeypatch.setattr(automation, "SENSOR_LOCK_WAIT_SECONDS", 0.2)
    # flock is per open file description: the sensor's own open of the lock file waits like another process's
    with warehouse_lock(settings.warehouse_path()):
        result = _tick()
    assert "locked by a run" in result.skip_message
