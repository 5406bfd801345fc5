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


def _monthly_job() -> str:
    [source] = [c.source for c in load_contracts().values() if c.partition_type == "monthly"][:1]
    return f"{source}_landing_job"


@pytest.mark.parametrize("tick, daily, monthly", [
    # the brief's example: early on the 1st of March, local time
    (datetime(2026, 3, 1, 2, 0, tzinfo=SHANGHAI), "2026-02-28", "2026-02-01"),
    # the same instant written in UTC is still the 1st of March in Shanghai
    (datetime(2026, 2, 28, 18, 0, tzinfo=timezone.utc), "2026-02-28", "2026-02-01"),
    (datetime(2026, 3, 10, 6, 0, tzinfo=SHANGHAI), "2026-03-09", "2026-02-01"),
    # across a year end
    (datetime(2027, 1, 1, 6, 0, tzinfo=SHANGHAI), "2026-12-31", "2026-12-01"),
])
def test_a_tick_requests_the_period_that_has_just_ended(tick, daily, monthly):
    assert _requested("daily_governance_job", tick) == [daily]
    assert _requested(_monthly_job(), tick) == [monthly]


def test_schedules_run_in_shanghai_when_the_deliveries_are_due():
    from pipelines.definitions import defs

    contracts = load_contracts().values()
    latest_daily = max(c.freshness.expected_by for c in contracts if c.partition_type == "daily")
    schedules = {s.job_name: s for s in defs.get_repository_def().schedule_defs if s.name != FULL_TABLE_TESTS}
    daily = schedules["daily_governance_job"]
    assert daily.execution_timezone == "Asia/Shanghai"
    assert daily.cron_schedule == f"{latest_daily.minute} {latest_daily.hour} * * *"
    assert schedules[_monthly_job()].cron_schedule.split()[2] == "1"


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
