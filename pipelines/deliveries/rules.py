"""When a source's deliveries are due and how much they should hold, from its contract.

- `freshness:` a partition is due at `expected_by` (local time) on the first day after it ends (the next day for
  a daily partition, the 1st of the next month for a monthly one); late by more than `warn_after_hours` is WARN,
  by more than `error_after_hours` ERROR.
- `volume:` a partition's landed rows against the median of the source's `history_partitions` previous delivered
  partitions; below `warn_below_ratio` of it is WARN, below `error_below_ratio` ERROR.
- `delivery:` a file is complete once its size and mtime have been stable for `complete_after_seconds`, and, when
  the contract names a `done_marker`, once the marker exists.

Keys a contract leaves out take the defaults below (docs/source_contracts.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import yaml

from pipelines import settings
from pipelines.ingestion.contracts import SourceContract

CITY_TIME = ZoneInfo(settings.TIMEZONE)


@dataclass(frozen=True)
class FreshnessRule:
    expected_by: time = time(6, 0)
    warn_after_hours: float = 4
    error_after_hours: float = 24


@dataclass(frozen=True)
class VolumeRule:
    history_partitions: int = 28
    warn_below_ratio: float = 0.5
    error_below_ratio: float = 0.1


@dataclass(frozen=True)
class CompletenessRule:
    complete_after_seconds: float = 60
    done_marker: str | None = None


@cache
def _contract_section(contract: SourceContract, section: str) -> dict:
    raw = yaml.safe_load(contract.path.read_text(encoding="utf-8")) or {}
    return raw.get(section) or {}


def freshness_rule(contract: SourceContract) -> FreshnessRule:
    raw = _contract_section(contract, "freshness")
    default = FreshnessRule()
    expected_by = raw.get("expected_by")
    return FreshnessRule(
        expected_by=time.fromisoformat(str(expected_by)) if expected_by else default.expected_by,
        warn_after_hours=float(raw.get("warn_after_hours", default.warn_after_hours)),
        error_after_hours=float(raw.get("error_after_hours", default.error_after_hours)),
    )


def volume_rule(contract: SourceContract) -> VolumeRule:
    raw = _contract_section(contract, "volume")
    default = VolumeRule()
    return VolumeRule(
        history_partitions=int(raw.get("history_partitions", default.history_partitions)),
        warn_below_ratio=float(raw.get("warn_below_ratio", default.warn_below_ratio)),
        error_below_ratio=float(raw.get("error_below_ratio", default.error_below_ratio)),
    )


def completeness_rule(contract: SourceContract) -> CompletenessRule:
    raw = _contract_section(contract, "delivery")
    default = CompletenessRule()
    return CompletenessRule(
        complete_after_seconds=float(raw.get("complete_after_seconds", default.complete_after_seconds)),
        done_marker=raw.get("done_marker") or default.done_marker,
    )


def partition_end(contract: SourceContract, partition_key: str) -> date:
    """The first day after the partition (exclusive end of its period)."""
    start = date.fromisoformat(partition_key)
    if contract.partition_type == "monthly":
        return (start.replace(day=1) + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=1)


def next_partition_key(contract: SourceContract, partition_key: str) -> str:
    return partition_end(contract, partition_key).isoformat()


def delivery_deadline(contract: SourceContract, partition_key: str) -> datetime:
    """When the partition's delivery is due: `expected_by` local time on the first day after the partition."""
    return datetime.combine(partition_end(contract, partition_key), freshness_rule(contract).expected_by,
                            tzinfo=CITY_TIME)


def latest_due_partition(contract: SourceContract, now: datetime) -> str | None:
    """The latest partition whose delivery deadline has passed at `now` (None before the first one is due)."""
    today = now.astimezone(CITY_TIME).date()
    key = today.replace(day=1) if contract.partition_type == "monthly" else today
    while delivery_deadline(contract, key.isoformat()) > now:
        key = (key - timedelta(days=1)).replace(day=1) if contract.partition_type == "monthly" \
            else key - timedelta(days=1)
    return key.isoformat() if key >= contract.start_date else None
