"""When a source's partitions end and when their deliveries are due, from its contract (`freshness:`).

A partition is due at `freshness.expected_by` (local time, Asia/Shanghai) on the first day after it ends: the
next day for a daily partition, the Monday after the week for a weekly one, the 1st of the next month for a
monthly one.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pipelines import settings
from pipelines.ingestion.contracts import SourceContract

CITY_TIME = ZoneInfo(settings.TIMEZONE)


def partition_end(contract: SourceContract, partition_key: str) -> date:
    """The first day after the partition (exclusive end of its period)."""
    return contract.period_end(date.fromisoformat(partition_key))


def next_partition_key(contract: SourceContract, partition_key: str) -> str:
    return partition_end(contract, partition_key).isoformat()


def first_partition_key(contract: SourceContract) -> str:
    return contract.period_start(contract.start_date).isoformat()


def delivery_deadline(contract: SourceContract, partition_key: str) -> datetime:
    """When the partition's delivery is due: `expected_by` local time on the first day after the partition."""
    return datetime.combine(partition_end(contract, partition_key), contract.freshness.expected_by,
                            tzinfo=CITY_TIME)
