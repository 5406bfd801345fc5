"""When the governance job runs a day: after the landing jobs, from what they recorded in Dagster's event log.

The inputs of day D are every source's partition whose period ends on D: each daily source's D, a weekly source's
week when D is a Sunday, a monthly source's month when D is its last day. The governance run for D is requested
once every daily source (started by D) has landed D (a landing run materializes its partition even when nothing
was delivered), and again whenever an input of D lands anew after the last governance run of D: a late or
corrected delivery, or the week or month that ended on D. A weekly or monthly source never holds a day back. A day
whose newest landing run has not succeeded (still running, or a blocking landing check failed) waits, as the
governance steps of one run wait for a blocking check.

A requested run builds only what the day's inputs can change (`window_models` in pipelines/assets/dbt.py): the
models downstream of the sources with a partition ending on the day that delivered something (a late source's
models wait for its delivery, whose landing requests the day again), then the publication, exports and cockpit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from pipelines import settings
from pipelines.assets.landing import landing_asset_key
from pipelines.ingestion.contracts import SourceContract
from pipelines.partitions import last_complete_day, partition_ending_on
from pipelines.quality.scorecard import SCORECARD_ASSET_KEY

if TYPE_CHECKING:  # what define_asset_job returns (not exported by dagster)
    from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

# The assets of the governance job a run over the days (first, last) builds; None: all of them.
RunAssets = Callable[[DagsterInstance, Mapping[str, SourceContract], date, date], Sequence[AssetKey] | None]

# Late or corrected deliveries of the last week still rebuild their day.
LOOKBACK_DAYS = 7
# A mart every governance run of a day materializes: its latest materialization is the day's last governance run.
GOVERNANCE_MARKER = SCORECARD_ASSET_KEY


def _latest_storage_ids(instance: DagsterInstance, key: AssetKey, partitions: set[str]) -> Mapping[str, int]:
    if not partitions:
        return {}
    return instance.get_latest_storage_id_by_partition(key, DagsterEventType.ASSET_MATERIALIZATION, partitions)


def _landing_run_unfinished(instance: DagsterInstance, key: AssetKey, partition: str) -> bool:
    """The run that last landed the partition has not succeeded (a runless report has no run: it counts)."""
    [record] = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1).records
    run = instance.get_run_by_id(record.run_id) if record.run_id else None
    return run is not None and run.status != DagsterRunStatus.SUCCESS


def governance_run_requests(instance: DagsterInstance, contracts: Mapping[str, SourceContract],
                            days: Iterable[date], run_assets: RunAssets | None = None,
                            ) -> tuple[list[RunRequest], list[str]]:
    """Run requests of the governance job for the days whose inputs are landed and newer than its last run, and
    for the others a line saying what they wait for. `run_assets` narrows each run to what its day can change
    (none: the whole job)."""
    days = list(days)
    inputs = {day: {source: key for source, contract in contracts.items()
                    if (key := partition_ending_on(contract, day))} for day in days}
    landed = {source: _latest_storage_ids(instance, landing_asset_key(source),
                                          {inputs[day][source] for day in days if source in inputs[day]})
              for source in contracts}
    built = _latest_storage_ids(instance, GOVERNANCE_MARKER, {day.isoformat() for day in days})
    requests, waiting = [], []
    for day in days:
        landed_ids = {source: landed[source][key] for source, key in inputs[day].items() if key in landed[source]}
        missing = sorted(source for source in inputs[day]
                         if contracts[source].partition_type == "daily" and source not in landed_ids)
        if missing:
            waiting.append(f"{day}: waiting for {', '.join(missing)}")
            continue
        newest = max(landed_ids.values(), default=0)
        if newest <= built.get(day.isoformat(), 0):
            continue
        unfinished = sorted(source for source, key in inputs[day].items() if source in landed_ids
                            and _landing_run_unfinished(instance, landing_asset_key(source), key))
        if unfinished:
            waiting.append(f"{day}: the landing run of {', '.join(unfinished)} has not succeeded")
        else:
            requests.append(RunRequest(
                run_key=f"governance:{day}:{newest}", partition_key=day.isoformat(),
                asset_selection=run_assets(instance, contracts, day, day) if run_assets else None,
                tags={"citybrain/landed": ",".join(f"{source}={key}" for source, key in sorted(inputs[day].items())
                                                   if source in landed_ids)},
            ))
    return requests, waiting


def recent_days(last: date) -> Iterator[date]:
    """The last LOOKBACK_DAYS complete days, none before the governance start date, oldest first."""
    first = max(last - timedelta(days=LOOKBACK_DAYS - 1), settings.governance_start_date())
    yield from (first + timedelta(days=n) for n in range((last - first).days + 1))


def build_governance_sensor(contracts: Mapping[str, SourceContract], governance_job: UnresolvedAssetJobDefinition,
                            run_assets: RunAssets) -> SensorDefinition:
    @sensor(
        name="governance_sensor",
        job=governance_job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Requests the governance run of a day once every daily source has landed it, and again when a "
                    "partition ending that day (a late delivery, a week, a month) lands after its last run; the run "
                    "builds the models of the sources with a partition ending that day.",
    )
    def governance_sensor(context: SensorEvaluationContext):
        requests, waiting = governance_run_requests(context.instance, contracts, recent_days(last_complete_day()),
                                                    run_assets)
        if requests:
            context.log.info(f"governance runs for {', '.join(r.partition_key for r in requests)}")
        return SensorResult(
            run_requests=requests or None,
            skip_reason=None if requests else ("Nothing new landed. " + "; ".join(waiting)).strip(),
        )

    return governance_sensor
