"""Partitions of the pipeline: each source's own delivery rhythm from its own start date, and the daily grain the
governance models run at from the city's governance start date (settings.governance_start_date).

A source's partitions depend on its contract alone, so adding a source never changes another source's partitions.
Partitions end with the last complete period in the city's time zone: a day, a week (Monday to Sunday, keyed by
its Monday) or a month (keyed by its first day) is a partition once it has ended.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache

from dagster import (
    DailyPartitionsDefinition,
    MonthlyPartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from pipelines import settings
from pipelines.ingestion.contracts import SourceContract

MONDAY = 1  # WeeklyPartitionsDefinition's day_offset: weeks start on Monday (ISO weeks)


@cache
def partitions_for(contract: SourceContract) -> TimeWindowPartitionsDefinition:
    """The source's partitions, from the period holding its contract's start_date to its last complete period."""
    start = contract.period_start(contract.start_date).isoformat()
    if contract.partition_type == "weekly":
        return WeeklyPartitionsDefinition(start_date=start, day_offset=MONDAY, timezone=settings.TIMEZONE)
    if contract.partition_type == "monthly":
        return MonthlyPartitionsDefinition(start_date=start, timezone=settings.TIMEZONE)
    return DailyPartitionsDefinition(start_date=start, timezone=settings.TIMEZONE)


@cache
def governance_daily_partitions() -> DailyPartitionsDefinition:
    """The dbt models' partitions (and the publication's and the exports'): one per day from the city's governance
    start date to the last complete day (yesterday in Asia/Shanghai)."""
    return DailyPartitionsDefinition(start_date=settings.governance_start_date().isoformat(),
                                     timezone=settings.TIMEZONE)


def partition_ending_on(contract: SourceContract, day: date) -> str | None:
    """The key of the source's partition whose period ends on `day`, None when none does (mid-week or mid-month, or
    before the source's start): the partition a governance run for `day` is the first to read complete."""
    key = contract.period_start(day)
    if contract.period_end(key) != day + timedelta(days=1):
        return None
    return key.isoformat() if key >= contract.period_start(contract.start_date) else None


def sources_due(contracts: Mapping[str, SourceContract], first: date, last: date) -> list[str]:
    """The sources with a partition ending on a day from `first` to `last` (`partition_ending_on`): the only ones a
    governance run of those days can read anything new of. Another source's partition holding those days has not
    ended, so it has not landed: its models' windowed run finds nothing to do."""
    return [source for source, contract in contracts.items() if partitions_ending_in(contract, first, last)]


def partitions_ending_in(contract: SourceContract, first: date, last: date) -> list[str]:
    """The keys of the source's partitions whose period ends on a day from `first` to `last`."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [key for day in days if (key := partition_ending_on(contract, day))]


def partition_range(contract: SourceContract, start: date, end: date) -> tuple[str, str] | None:
    """The source's complete partitions holding any day from `start` to `end`, as (first key, last key); None when
    there is none (the source starts later, or its period holding `start` has not ended)."""
    partitions = partitions_for(contract)
    first_key, last_key = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    if first_key is None or last_key is None:
        return None
    first = max(contract.period_start(start).isoformat(), first_key)
    last = min(contract.period_start(end).isoformat(), last_key)
    return (first, last) if first <= last else None


def last_complete_day() -> date:
    """Yesterday in the city's time zone: the latest daily partition."""
    return date.fromisoformat(governance_daily_partitions().get_last_partition_key())


def day_range(start: date | None, end: date | None, days: int | None) -> tuple[date, date]:
    """An inclusive range of days from `--start/--end/--days`: `days` days from `start`, or ending at `end`, or
    ending at the latest complete day when neither is given."""
    if start and end:
        return start, end
    if not days:
        raise ValueError("give --start and --end, or --days (with --start or --end, or alone for the days "
                         "ending yesterday)")
    if start:
        return start, start + timedelta(days=days - 1)
    end = end or last_complete_day()
    return end - timedelta(days=days - 1), end
