"""Jobs, schedules and the inbox sensor.

- `city_standard_job`: the city standard (seeds, dimensions); run after a code set changes.
- `daily_governance_job`: the daily sources' landing plus every governance model, one day (or a range) per run,
  then the publication of the marts (`pipelines/publish`) and the departments' export packages (`pipelines/sharing`).
- `<source>_landing_job` for each monthly source.
The daily schedule runs yesterday's partition at 02:00 Asia/Shanghai; monthly sources are landed on the 1st.
The sensor starts the partition's job as soon as a delivery for it appears in the inbox.
"""

from __future__ import annotations

from collections.abc import Iterator

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    sensor,
)

from pipelines import settings
from pipelines.assets.dbt import city_standard_models, governance_models
from pipelines.assets.landing import landing_asset_key
from pipelines.ingestion.contracts import SourceContract, load_contracts
from pipelines.ingestion.inbox import INCOMPLETE, inspect_delivery
from pipelines.partitions import governance_daily_partitions
from pipelines.publish.asset import publication, publication_held
from pipelines.sharing.asset import sharing_exports

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
    | AssetSelection.assets(governance_models, publication, sharing_exports),
    partitions_def=governance_daily_partitions(),
    hooks={publication_held},
    description="Land the daily sources' deliveries for the day(s), build every governance model for them and "
                "publish the marts when no ERROR check failed, then write the departments' export packages.",
)

monthly_landing_jobs = {
    contract.source: define_asset_job(
        f"{contract.source}_landing_job",
        selection=AssetSelection.assets(landing_asset_key(contract.source)),
        description=f"Land the monthly delivery of {contract.title}.",
    )
    for contract in MONTHLY_SOURCES
}

schedules = [
    build_schedule_from_partitioned_job(
        daily_governance_job, hour_of_day=2, minute_of_hour=0, default_status=DefaultScheduleStatus.RUNNING
    ),
    *(
        build_schedule_from_partitioned_job(
            job, day_of_month=1, hour_of_day=3, minute_of_hour=0, default_status=DefaultScheduleStatus.RUNNING
        )
        for job in monthly_landing_jobs.values()
    ),
]


def job_for(contract: SourceContract):
    return daily_governance_job if contract.partition_type == "daily" else monthly_landing_jobs[contract.source]


def delivery_run_requests(contracts: list[SourceContract]) -> Iterator[RunRequest]:
    """A run request per delivered file; the run key (file, size, mtime) makes a changed file trigger again."""
    inbox = settings.inbox_dir()
    for contract in contracts:
        folder = inbox / contract.source
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            partition_key = contract.partition_key_of(path.name)
            if partition_key is None:
                continue
            if inspect_delivery(path, inbox, contract).state == INCOMPLETE:
                continue  # requested on a later tick, once the file is complete
            stat = path.lstat()
            yield RunRequest(
                run_key=f"{contract.source}/{path.name}:{stat.st_size}:{stat.st_mtime_ns}",
                job_name=job_for(contract).name,
                partition_key=partition_key,
                tags={"citybrain/delivery": f"{contract.source}/{path.name}"},
            )


@sensor(
    jobs=[daily_governance_job, *monthly_landing_jobs.values()],
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Starts the partition's run when a delivery appears in the inbox (one folder per source).",
)
def inbox_sensor(context: SensorEvaluationContext):
    requests = list(delivery_run_requests(list(CONTRACTS.values())))
    if not requests:
        return SkipReason(f"No delivery in {settings.inbox_dir()}")
    return requests


jobs = [city_standard_job, daily_governance_job, *monthly_landing_jobs.values()]
sensors = [inbox_sensor]
