"""The governance sensor requests a day's governance run once every daily source has landed the day, again when a
partition ending that day lands anew (a late file, a month), never while a landing run of the day failed. Landings
are real runs of stand-in assets with the landing assets' keys and partitions, in an ephemeral instance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dagster import AssetCheckResult, AssetCheckSeverity, DagsterInstance, asset, asset_check, materialize

from pipelines.assets.landing import landing_asset_key
from pipelines.governance_runs import GOVERNANCE_MARKER, governance_run_requests
from pipelines.ingestion.contracts import load_contracts
from pipelines.partitions import governance_daily_partitions, partitions_for

CONTRACTS = load_contracts()
DAILY = sorted(source for source, c in CONTRACTS.items() if c.partition_type == "daily")
MONTHLY = next(c for c in CONTRACTS.values() if c.partition_type == "monthly")
MONTH_END = date(2026, 2, 28)


def _materialize(instance, key, partitions_def, partition: str, fail: bool = False) -> None:
    @asset(key=key, partitions_def=partitions_def)
    def stand_in() -> None:
        return None

    @asset_check(asset=key, blocking=True, partitions_def=partitions_def)
    def landing_check() -> AssetCheckResult:
        return AssetCheckResult(passed=not fail, severity=AssetCheckSeverity.ERROR)

    materialize([stand_in, landing_check], partition_key=partition, instance=instance, raise_on_error=False)


def _land(instance, source: str, partition: str, fail: bool = False) -> None:
    _materialize(instance, landing_asset_key(source), partitions_for(CONTRACTS[source]), partition, fail)


def _govern(instance, day: date) -> None:
    _materialize(instance, GOVERNANCE_MARKER, governance_daily_partitions(), day.isoformat())


def _requested(instance, *days: date) -> list[str]:
    requests, _ = governance_run_requests(instance, CONTRACTS, days)
    return [request.partition_key for request in requests]


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


def test_a_day_runs_once_every_daily_source_landed_it(instance):
    day = MONTH_END - timedelta(days=1)
    for source in DAILY[:-1]:
        _land(instance, source, day.isoformat())
    requests, waiting = governance_run_requests(instance, CONTRACTS, [day])
    assert requests == [] and waiting == [f"{day}: waiting for {DAILY[-1]}"]
    _land(instance, DAILY[-1], day.isoformat())
    [request] = governance_run_requests(instance, CONTRACTS, [day])[0]
    assert request.partition_key == day.isoformat() and request.job_name is None
    _govern(instance, day)
    assert _requested(instance, day) == []
    _land(instance, DAILY[0], day.isoformat())  # a corrected delivery of the day
    assert _requested(instance, day) == [day.isoformat()]


def test_the_month_ending_on_a_day_runs_it_again_without_holding_it(instance):
    for source in DAILY:
        _land(instance, source, MONTH_END.isoformat())
    assert _requested(instance, MONTH_END) == [MONTH_END.isoformat()]  # the month has not landed: not waited for
    _govern(instance, MONTH_END)
    _land(instance, MONTHLY.source, "2026-02-01")
    [request] = governance_run_requests(instance, CONTRACTS, [MONTH_END])[0]
    assert f"{MONTHLY.source}=2026-02-01" in request.tags["citybrain/landed"]
    assert _requested(instance, MONTH_END - timedelta(days=1)) == []  # mid-month days do not read the month


def test_a_failed_landing_run_holds_its_day(instance):
    day = MONTH_END - timedelta(days=2)
    for source in DAILY:
        _land(instance, source, day.isoformat(), fail=source == DAILY[0])
    requests, waiting = governance_run_requests(instance, CONTRACTS, [day])
    assert requests == [] and waiting == [f"{day}: the landing run of {DAILY[0]} has not succeeded"]
    _land(instance, DAILY[0], day.isoformat())  # delivered again, and it passes
    assert _requested(instance, day) == [day.isoformat()]
