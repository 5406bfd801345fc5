"""Jobs, schedules and the inbox sensor (all on by default).

- `city_standard_job`: the city standard (seeds, dimensions); run after a code set changes.
- `daily_governance_job`: the daily sources' landing plus every governance model, one day (or a range) per run,
  then the publication of the marts (`pipelines/publish`) and the departments' export packages (`pipelines/sharing`).
- `<source>_landing_job` for each monthly source.
- `delivery_freshness_job`: every source's `delivery_freshness` check, hourly.
Partitions end with the last complete period (Asia/Shanghai): a schedule's tick requests the partition that has
just ended, yesterday for the daily job and last month for a monthly one, at the latest `freshness.expected_by`
of its sources. The sensor starts a partition's run as soon as a complete delivery for it appears in the inbox.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    sensor,
)

from pipelines import settings
from pipelines.assets.dbt import city_standard_models, governance_models
from pipelines.assets.landing import landing_asset_key
from pipelines.deliveries.checks import FRESHNESS_CHECK, INBOX_CHECK, inbox_result, now_in_city
from pipelines.deliveries.inbox import InboxScan, record_unmatched, scan_inbox
from pipelines.deliveries.ledger import processed_file_versions
from pipelines.cockpit.asset import cockpit
from pipelines.ingestion.contracts import SourceContract, load_contracts
from pipelines.partitions import governance_daily_partitions
from pipelines.publish.asset import publication, publication_held
from pipelines.sharing.asset import sharing_exports
from pipelines.warehouse import WarehouseBusyError, warehouse_connection

# The sensor never waits long for a run to release the warehouse: it looks again at its next tick.
SENSOR_LOCK_WAIT_SECONDS = 5
FRESHNESS_CRON = "10 * * * *"

CONTRACTS = load_contracts()
DAILY_SOURCES = [c for c in CONTRACTS.values() if c.partition_type == "daily"]
MONTHLY_SOURCES = [c for c in CONTRACTS.values() if c.partition_type == "monthly"]

city_standard_job = define_asset_job(
    "city_standard_job",
    selection=AssetSelection.assets(city_standard_models),
    description="Load the city standard's code sets (seeds) and rebuild the dimensions built from them.",
)

daily_governance_job = define_asset_job(
    "daily_governance_job",
    selection=AssetSelection.assets(*(landing_asset_key(c.source) for c in DAILY_SOURCES))
    | AssetSelection.assets(governance_models, publication, sharing_exports, cockpit),
    partitions_def=governance_daily_partitions(),
    hooks={publication_held},
    description="Land the daily sources' deliveries for the day(s), build every governance model for them and "
                "publish the marts when no ERROR check failed, then write the departments' export packages "
                "and rebuild the cockpit.",
)

monthly_landing_jobs = {
    contract.source: define_asset_job(
        f"{contract.source}_landing_job",
        selection=AssetSelection.assets(landing_asset_key(contract.source)),
        description=f"Land the monthly delivery of {contract.title}.",
    )
    for contract in MONTHLY_SOURCES
}

delivery_freshness_job = define_asset_job(
    "delivery_freshness_job",
    selection=AssetSelection.checks(
        *(AssetCheckKey(landing_asset_key(c.source), FRESHNESS_CHECK) for c in CONTRACTS.values())
    ),
    description="Evaluate every source's delivery freshness (is a due delivery missing?).",
)

def _at_latest_deadline(contracts: list[SourceContract]) -> dict[str, int]:
    """Cron hour and minute of the latest `freshness.expected_by` of the contracts: a scheduled run lands what
    was due, and whatever arrives later lands through the sensor."""
    expected_by = max(contract.freshness.expected_by for contract in contracts)
    return {"hour_of_day": expected_by.hour, "minute_of_hour": expected_by.minute}


schedules = [
    build_schedule_from_partitioned_job(
        daily_governance_job, **_at_latest_deadline(DAILY_SOURCES), default_status=DefaultScheduleStatus.RUNNING,
        description="Yesterday's partition (Asia/Shanghai) once every daily source's delivery is due.",
    ),
    *(
        build_schedule_from_partitioned_job(
            monthly_landing_jobs[contract.source], day_of_month=1, **_at_latest_deadline([contract]),
            default_status=DefaultScheduleStatus.RUNNING,
            description=f"Last month's partition of {contract.source} on the 1st, once its delivery is due.",
        )
        for contract in MONTHLY_SOURCES
    ),
    ScheduleDefinition(
        name="delivery_freshness_schedule", job=delivery_freshness_job, cron_schedule=FRESHNESS_CRON,
        execution_timezone=settings.TIMEZONE, default_status=DefaultScheduleStatus.RUNNING,
        description="Evaluates every source's delivery freshness check, so a missing delivery is reported "
                    "even when nothing runs.",
    ),
]


def job_for(contract: SourceContract):
    return daily_governance_job if contract.partition_type == "daily" else monthly_landing_jobs[contract.source]


def delivery_run_requests(scan: InboxScan, processed: dict[str, datetime]) -> Iterator[RunRequest]:
    """A run request per complete delivery that no landing has processed since it last changed; the run key
    (file, size, mtime) keeps a file version from being requested twice."""
    for delivery in scan.deliveries:
        file = delivery.file
        landed_at = processed.get(file.relative)
        if landed_at is not None and landed_at >= file.modified_at:
            continue
        yield RunRequest(
            run_key=f"{file.relative}:{file.size}:{file.modified_at.timestamp():.6f}",
            job_name=job_for(CONTRACTS[delivery.source]).name,
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


def _inbox_check_evaluations(scan: InboxScan) -> list[AssetCheckEvaluation]:
    evaluations = []
    for contract in CONTRACTS.values():
        result = inbox_result(contract, scan.unmatched_of(contract.source))
        evaluations.append(AssetCheckEvaluation(
            asset_key=landing_asset_key(contract.source), check_name=INBOX_CHECK, passed=result.passed,
            severity=result.severity, description=result.description, metadata=result.metadata))
    return evaluations


@sensor(
    jobs=[daily_governance_job, *monthly_landing_jobs.values()],
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts the partition's run when a complete delivery that no landing has processed appears in "
                "the inbox (one folder per source); reports files that match no contract.",
)
def inbox_sensor(context: SensorEvaluationContext):
    now = now_in_city()
    scan = scan_inbox(CONTRACTS.values(), settings.inbox_dir(), now)
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
        asset_events=_inbox_check_evaluations(scan) if unmatched_changed else None,
    )


jobs = [city_standard_job, daily_governance_job, *monthly_landing_jobs.values(), delivery_freshness_job]
sensors = [inbox_sensor]
