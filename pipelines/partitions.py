"""Partitions of the pipeline: each source's delivery rhythm, and the daily grain the governance models run at."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from dagster import DailyPartitionsDefinition, MonthlyPartitionsDefinition, PartitionsDefinition, WeeklyPartitionsDefinition

from pipelines import settings
from pipelines.ingestion.contracts import SourceContract, load_contracts


def partitions_for(contract: SourceContract) -> PartitionsDefinition:
    """Daily sources share the governance models' daily partitions, so one run can land them and build on them.
    A monthly source's partitions end with the last complete month."""
    if contract.partition_type == "weekly":  # keyed by the Monday of the ISO week
        return WeeklyPartitionsDefinition(start_date=contract.start_date.isoformat(), day_offset=1,
                                          timezone=settings.TIMEZONE)
    if contract.partition_type == "monthly":
        return MonthlyPartitionsDefinition(
            start_date=contract.start_date.isoformat(), timezone=settings.TIMEZONE
        )
    return governance_daily_partitions()


@cache
def governance_daily_partitions() -> DailyPartitionsDefinition:
    """The dbt models' partitions: one per day from the earliest source's start to the last complete day
    (yesterday in Asia/Shanghai): a day is a partition once it has ended."""
    start = min(contract.start_date for contract in load_contracts().values())
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone=settings.TIMEZONE)


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
