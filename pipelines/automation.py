"""Jobs, schedules and sensors (all on by default). Dagster runs one partitions definition per job, so:

- `<source>_landing_job`, one per source contract, partitioned by the source's own rhythm from its own start date
  (`pipelines/partitions.py`); its schedule requests the period that has just ended at the contract's
  `freshness.expected_by` (daily: every day; weekly: Mondays; monthly: the 1st), Asia/Shanghai.
- `daily_governance_job`: every governance model (dbt), its checks, the publication of the marts
  (`pipelines/publish`) and the departments' export packages (`pipelines/sharing`), one day (or a range) per run,
  from the city's governance start date. The `governance_sensor` requests a day once every daily source has
  landed it, and again when a partition ending that day lands anew (`pipelines/governance_runs.py`); its runs (and
  `pipelines.cli build`) select the models of the sources with a partition ending in their days
  (`governance_run_assets`).
- `city_standard_job`: the city standard (seeds, dimensions); run after a code set changes.
- `delivery_freshness_job`: every source's `delivery_freshness` check, hourly.
The `inbox_sensor` starts the landing job of a source's partition as soon as a complete delivery for it appears in
the inbox. Jobs and schedules are built per contract: adding a source adds its own and changes no other source's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    sensor,
)

from pipelines import settings
from pipelines.assets.dbt import city_standard_models, governance_models, window_models
from pipelines.assets.landing import landing_asset_key
from pipelines.deliveries.checks import FRESHNESS_CHECK, INBOX_CHECK, inbox_result, now_in_city
from pipelines.deliveries.inbox import InboxScan, record_unmatched, scan_inbox
from pipelines.deliveries.ledger import processed_file_versions
from pipelines.governance_runs import build_governance_sensor
from pipelines.ingestion.contracts import SourceContract
from pipelines.partitions import governance_daily_partitions, partitions_for
from pipelines.cockpit.asset import cockpit
from pipelines.publish.asset import publication, publication_held
from pipelines.sharing.asset import sharing_exports
from pipelines.warehouse import WarehouseBusyError, warehouse_connection

if TYPE_CHECKING:  # what define_asset_job returns (not exported by dagster)
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

# The sensor never waits long for a run to release the warehouse: it looks again at its next tick.
SENSOR_LOCK_WAIT_SECONDS = 5
FRESHNESS_CRON = "10 * * * *"
# The day a scheduled period's delivery is due: the day after the period ends.
SCHEDULE_DAY = {"daily": {}, "weekly": {"day_of_week": 1}, "monthly": {"day_of_month": 1}}

city_standard_job = define_asset_job(
    "city_standard_job",
    selection=AssetSelection.assets(city_standard_models),
    description="Load the city standard's code sets (seeds) and rebuild the dimensions built from them.",
)

# What the governance job runs after the models, whatever models a run selects.
AFTER_MODELS = (publication, sharing_exports, cockpit)

daily_governance_job = define_asset_job(
    "daily_governance_job",
    selection=AssetSelection.assets(governance_models, *AFTER_MODELS),
    partitions_def=governance_daily_partitions(),
    hooks={publication_held},
    description="Build the governance models for the day(s) from what the landing jobs landed (a sensor's run: "
                "those of the sources with a partition ending in its days), publish the marts when no ERROR check "
                "failed, then write the departments' export packages and rebuild the cockpit.",
)


def governance_run_assets(instance: DagsterInstance, contracts: Mapping[str, SourceContract], first: date,
                          last: date) -> list[AssetKey] | None:
    """The assets of the governance job that a run of the days builds: the models the days' landed sources can
    change (`window_models`), then the publication, exports and cockpit; None for the whole job."""
    models = window_models(instance, contracts, first, last)
    return None if models is None else [*models, *(asset.key for asset in AFTER_MODELS)]


def landing_job_name(source: str) -> str:
    return f"{source}_landing_job"


def landing_job(contract: SourceContract) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        landing_job_name(contract.source),
        selection=AssetSelection.assets(landing_asset_key(contract.source)),
        partitions_def=partitions_for(contract),
        description=f"Land the {contract.partition_type} delivery of {contract.title} and run its landing checks.",
    )


def landing_schedule(contract: SourceContract, job: UnresolvedAssetJobDefinition) -> ScheduleDefinition:
    """The period that has just ended, at the contract's `freshness.expected_by` on the day after it: a scheduled
    run lands what was due, and whatever arrives later lands through the inbox sensor."""
    expected_by = contract.freshness.expected_by
    return build_schedule_from_partitioned_job(
        job, hour_of_day=expected_by.hour, minute_of_hour=expected_by.minute,
        **SCHEDULE_DAY[contract.partition_type], default_status=DefaultScheduleStatus.RUNNING,
        description=f"The {contract.partition_type} partition of {contract.source} that has just ended, once its "
                    f"delivery is due ({expected_by:%H:%M} Asia/Shanghai, contracts/{contract.path.name}).",
    )


def delivery_freshness_job(contracts: Mapping[str, SourceContract]) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        "delivery_freshness_job",
        selection=AssetSelection.checks(
            *(AssetCheckKey(landing_asset_key(source), FRESHNESS_CHECK) for source in contracts)
        ),
        description="Evaluate every source's delivery freshness (is a due delivery missing?).",
    )


@dataclass(frozen=True)
class Automation:
    landing_jobs: dict[str, UnresolvedAssetJobDefinition]
    jobs: list[UnresolvedAssetJobDefinition]
    schedules: list[ScheduleDefinition]
    sensors: list[SensorDefinition]


def build_automation(contracts: Mapping[str, SourceContract]) -> Automation:
    """The jobs, schedules and sensors of these contracts: each source's own, plus the shared ones."""
    landing_jobs = {source: landing_job(contract) for source, contract in contracts.items()}
    freshness_job = delivery_freshness_job(contracts)
    schedules = [
        *(landing_schedule(contract, landing_jobs[source]) for source, contract in contracts.items()),
        ScheduleDefinition(
            name="delivery_freshness_schedule", job=freshness_job, cron_schedule=FRESHNESS_CRON,
            execution_timezone=settings.TIMEZONE, default_status=DefaultScheduleStatus.RUNNING,
            description="Evaluates every source's delivery freshness check, so a missing delivery is reported "
                        "even when nothing runs.",
        ),
    ]
    return Automation(
        landing_jobs=landing_jobs,
        jobs=[city_standard_job, daily_governance_job, *landing_jobs.values(), freshness_job],
        schedules=schedules,
        sensors=[build_inbox_sensor(contracts, landing_jobs),
                 build_governance_sensor(contracts, daily_governance_job, governance_run_assets)],
    )


def delivery_run_requests(scan: InboxScan, processed: dict[str, datetime]) -> Iterator[RunRequest]:
    """A run request of the source's landing job per complete delivery that no landing has processed since it last
    changed; the run key (file, size, mtime) keeps a file version from being requested twice."""
    for delivery in scan.deliveries:
        file = delivery.file
        landed_at = processed.get(file.relative)
        if landed_at is not None and landed_at >= file.modified_at:
            continue
        yield RunRequest(
            run_key=f"{file.relative}:{file.size}:{file.modified_at.timestamp():.6f}",
            job_name=landing_job_name(delivery.source),
            partition_key=delivery.partition_key,
            tags={"citybrain/delivery": file.relative},
        )


def inbox_summary(scan: InboxScan, requested: int) -> str:
    waiting = Counter(item.reason for item in scan.not_ready)
    parts = [f"{requested} delivery(ies) to land", f"{len(scan.deliveries) - requested} already landed"]
    parts += [f"{count} {reason.replace('_', ' ')}" for reason, count in sorted(waiting.items())]
    text = f"Inbox {settings.inbox_dir()}: " + ", ".join(parts) + "."
    if scan.unmatched:
        text += f" {len(scan.unmatched)} file(s) match no contract (ops.unmatched_deliveries): " + ", ".join(
            f"{item.file.relative} ({item.reason})" for item in scan.unmatched[:10])
    return text


def _inbox_check_evaluations(contracts: Mapping[str, SourceContract], scan: InboxScan) -> list[AssetCheckEvaluation]:
    evaluations = []
    for contract in contracts.values():
        result = inbox_result(contract, scan.unmatched_of(contract.source))
        evaluations.append(AssetCheckEvaluation(
            asset_key=landing_asset_key(contract.source), check_name=INBOX_CHECK, passed=result.passed,
            severity=result.severity, description=result.description, metadata=result.metadata))
    return evaluations


def build_inbox_sensor(contracts: Mapping[str, SourceContract],
                       landing_jobs: Mapping[str, UnresolvedAssetJobDefinition]) -> SensorDefinition:
    @sensor(
        name="inbox_sensor",
        jobs=list(landing_jobs.values()),
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Starts the source's landing run for a partition when a complete delivery that no landing has "
                    "processed appears in the inbox (one folder per source); reports files that match no contract.",
    )
    def inbox_sensor(context: SensorEvaluationContext):
        now = now_in_city()
        scan = scan_inbox(contracts.values(), settings.inbox_dir(), now)
        unmatched_changed = scan.unmatched_digest() != context.cursor
        try:
            with warehouse_connection(lock_timeout_seconds=SENSOR_LOCK_WAIT_SECONDS) as connection:
                processed = processed_file_versions(connection)
                if unmatched_changed:
                    record_unmatched(connection, scan, now)
        except WarehouseBusyError:
            return SkipReason("The warehouse is locked by a run; the inbox is looked at again at the next tick.")
        requests = list(delivery_run_requests(scan, processed))
        summary = inbox_summary(scan, len(requests))
        if requests:
            context.log.info(summary)
        return SensorResult(
            run_requests=requests or None,
            skip_reason=None if requests else summary,
            cursor=scan.unmatched_digest(),
            asset_events=_inbox_check_evaluations(contracts, scan) if unmatched_changed else None,
        )

    return inbox_sensor

