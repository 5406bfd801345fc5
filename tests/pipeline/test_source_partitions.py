"""Each source has its own partitions, start date, landing job and schedule: adding sources (a daily one with years of
older history, a weekly one) changes no other source's partitions or jobs, nor the governance job's. The code
location is built for the repository's contracts with and without the fixture contracts; no shared file changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.ingestion.contracts import load_contracts, read_contracts
from pipelines.partitions import partition_ending_on, partition_range, partitions_for

OLDER_SOURCE = Path(__file__).parents[1] / "onboarding" / "open311"  # a daily source starting in 2019
WEEKLY_SOURCE = Path(__file__).parent / "weekly_source"


def _added() -> dict:
    return read_contracts(OLDER_SOURCE) | read_contracts(WEEKLY_SOURCE)


@pytest.fixture(scope="module")
def both():
    from pipelines.definitions import city_brain_definitions

    contracts = load_contracts()
    added = _added()
    assert not set(added) & set(contracts)
    return contracts, added, city_brain_definitions(contracts), city_brain_definitions(contracts | added)


def _job(defs, name: str):
    job = defs.resolve_job_def(name)
    return job.partitions_def, set(job.asset_layer.selected_asset_keys), set(job.asset_layer.asset_graph.asset_check_keys)


def _schedules(defs) -> dict:
    return {s.name: (s.job_name, s.cron_schedule, s.execution_timezone) for s in defs.schedules}


def test_adding_sources_changes_no_other_source_partitions_or_jobs(both):
    contracts, added, without, with_added = both
    for source in contracts:
        name = f"{source}_landing_job"
        assert _job(with_added, name) == _job(without, name), source
    assert _job(with_added, "daily_governance_job") == _job(without, "daily_governance_job")
    assert _job(with_added, "city_standard_job") == _job(without, "city_standard_job")
    before, after = _schedules(without), _schedules(with_added)
    assert {name: after[name] for name in before if name != "delivery_freshness_schedule"} == \
        {name: value for name, value in before.items() if name != "delivery_freshness_schedule"}
    assert set(after) - set(before) == {f"{source}_landing_job_schedule" for source in added}
    landing_jobs = {s.name: {t.job_name for t in s.targets} for s in with_added.sensors}["inbox_sensor"]
    assert landing_jobs == {f"{source}_landing_job" for source in contracts | added}


def test_each_added_source_has_its_own_partitions_from_its_own_start(both):
    _, added, _, with_added = both
    older, weekly = added["open311_requests"], added["weekly_notices"]
    partitions, _, _ = _job(with_added, "open311_requests_landing_job")
    assert partitions.get_first_partition_key() == "2019-01-01"
    assert partitions == partitions_for(older)
    partitions, keys, _ = _job(with_added, "weekly_notices_landing_job")
    # the week of the start date (a weekly start_date must be a Monday), keyed by that Monday
    assert partitions.get_partition_keys()[:2] == ["2026-01-05", "2026-01-12"]
    assert [key.to_user_string() for key in keys] == ["landing/weekly_notices"]
    assert _schedules(with_added)["weekly_notices_landing_job_schedule"] == (
        "weekly_notices_landing_job", f"{weekly.freshness.expected_by.minute} {weekly.freshness.expected_by.hour} "
                                      "* * 1", "Asia/Shanghai")


def test_the_partition_a_governance_day_reads_complete():
    weekly = read_contracts(WEEKLY_SOURCE)["weekly_notices"]
    assert partition_ending_on(weekly, date(2026, 1, 11)) == "2026-01-05"  # a Sunday ends the week
    assert partition_ending_on(weekly, date(2026, 1, 10)) is None
    assert partition_ending_on(weekly, date(2026, 1, 4)) is None  # before the source's first week
    monthly = next(c for c in load_contracts().values() if c.partition_type == "monthly")
    assert partition_ending_on(monthly, date(2026, 2, 28)) == "2026-02-01"
    assert partition_ending_on(monthly, date(2026, 2, 27)) is None


def test_a_build_range_maps_to_each_source_complete_partitions():
    weekly = read_contracts(WEEKLY_SOURCE)["weekly_notices"]
    older = read_contracts(OLDER_SOURCE)["open311_requests"]
    assert partition_range(weekly, date(2026, 1, 1), date(2026, 1, 20)) == ("2026-01-05", "2026-01-19")
    assert partition_range(older, date(2018, 12, 30), date(2019, 1, 2)) == ("2019-01-01", "2019-01-02")
    assert partition_range(older, date(2018, 12, 1), date(2018, 12, 31)) is None


def test_a_weekly_schedule_requests_the_week_that_has_just_ended(both):
    from dagster import build_schedule_context

    from tests.pipeline.test_schedules import TICKS

    repository = both[3].get_repository_def()
    [schedule] = [s for s in repository.schedule_defs if s.job_name == "weekly_notices_landing_job"]
    for tick, expected in TICKS:
        result = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=tick,
                                                               repository_def=repository))
        assert [request.partition_key for request in result.run_requests] == [expected["weekly"]], tick
