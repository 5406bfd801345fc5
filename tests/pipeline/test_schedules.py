"""Schedules request the partition that has just ended, evaluated as real ticks in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from dagster import build_schedule_context

from pipelines.ingestion.contracts import load_contracts
from pipelines.partitions import governance_daily_partitions

SHANGHAI = ZoneInfo("Asia/Shanghai")
FULL_TABLE_TESTS = "full_table_tests_schedule"  # the weekly full-table test run of the daily job


def _requested(job_name: str, tick: datetime) -> list[str]:
    from pipelines.definitions import defs

    repository = defs.get_repository_def()
    [schedule] = [s for s in repository.schedule_defs if s.job_name == job_name and s.name != FULL_TABLE_TESTS]
    result = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=tick, repository_def=repository))
    return [request.partition_key for request in result.run_requests]


# The period that has just ended at each tick, by the contract's partitioning.type.
TICKS = [
    # the brief's example: early on the 1st of March (a Sunday), local time
    (datetime(2026, 3, 1, 2, 0, tzinfo=SHANGHAI), {"daily": "2026-02-28", "weekly": "2026-02-16",
                                                   "monthly": "2026-02-01"}),
    # the same instant written in UTC is still the 1st of March in Shanghai
    (datetime(2026, 2, 28, 18, 0, tzinfo=timezone.utc), {"daily": "2026-02-28", "weekly": "2026-02-16",
                                                         "monthly": "2026-02-01"}),
    (datetime(2026, 3, 10, 6, 0, tzinfo=SHANGHAI), {"daily": "2026-03-09", "weekly": "2026-03-02",
                                                    "monthly": "2026-02-01"}),
    # across a year end
    (datetime(2027, 1, 1, 6, 0, tzinfo=SHANGHAI), {"daily": "2026-12-31", "weekly": "2026-12-21",
                                                   "monthly": "2026-12-01"}),
]


@pytest.mark.parametrize("tick, expected", TICKS)
def test_a_tick_requests_the_period_that_has_just_ended(tick, expected):
    for contract in load_contracts().values():
        assert _requested(f"{contract.source}_landing_job", tick) == [expected[contract.partition_type]], \
            contract.source


DUE_DAY = {"daily": "* * *", "weekly": "* * 1", "monthly": "1 * *"}  # the day after the period


def test_each_source_is_scheduled_in_shanghai_when_its_delivery_is_due():
    from pipelines.definitions import defs

    schedules = {s.job_name: s for s in defs.get_repository_def().schedule_defs if s.name != FULL_TABLE_TESTS}
    for contract in load_contracts().values():
        schedule = schedules[f"{contract.source}_landing_job"]
        due = contract.freshness.expected_by
        assert schedule.execution_timezone == "Asia/Shanghai"
        assert schedule.cron_schedule == f"{due.minute} {due.hour} {DUE_DAY[contract.partition_type]}"
    # the governance job runs when the landings are done (governance_sensor), not at a fixed time
    assert "daily_governance_job" not in schedules


def test_a_day_is_a_partition_once_it_has_ended_in_shanghai():
    partitions = governance_daily_partitions()
    # 23:30 UTC on 28 February is 07:30 on 1 March in Shanghai: 28 February has ended there
    assert partitions.get_partition_keys(current_time=datetime(2026, 2, 28, 23, 30, tzinfo=timezone.utc))[-1] \
        == "2026-02-28"
    # 15:30 UTC on 28 February is 23:30 the same day in Shanghai: the 28th is still running
    assert partitions.get_partition_keys(current_time=datetime(2026, 2, 28, 15, 30, tzinfo=timezone.utc))[-1] \
        == "2026-02-27"


def test_a_weekly_run_tests_every_table_whole():
    from dagster import build_schedule_context

    from pipelines.definitions import defs
    from pipelines.quality.full_table_tests import full_table_tests_schedule

    assert defs.get_schedule_def(FULL_TABLE_TESTS).job_name == "daily_governance_job"
    request = full_table_tests_schedule(build_schedule_context())
    assert request.run_config == {"ops": {"governance_dbt": {"config": {"full_table_tests": True}}}}
    assert request.partition_key == governance_daily_partitions().get_last_partition_key()
