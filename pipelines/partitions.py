"""Partitions of the pipeline: each source's delivery rhythm, and the daily grain the governance models run at."""

from __future__ import annotations

from functools import cache

from dagster import DailyPartitionsDefinition, MonthlyPartitionsDefinition, PartitionsDefinition

from pipelines import settings
from pipelines.ingestion.contracts import SourceContract, load_contracts


def partitions_for(contract: SourceContract) -> PartitionsDefinition:
    """Daily sources share the governance models' daily partitions, so one run can land them and build on them."""
    if contract.partition_type == "monthly":
        return MonthlyPartitionsDefinition(
            start_date=contract.start_date.isoformat(), timezone=settings.TIMEZONE, end_offset=1
        )
    return governance_daily_partitions()


@cache
def governance_daily_partitions() -> DailyPartitionsDefinition:
    """The dbt models' partitions: one per day from the earliest source's start (the current day included)."""
    start = min(contract.start_date for contract in load_contracts().values())
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone=settings.TIMEZONE, end_offset=1)
