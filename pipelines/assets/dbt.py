"""dbt models, seeds and tests as Dagster assets and asset checks.

Two multi-assets: the city standard (seeds and the models tagged `city_standard`, built from seeds only,
unpartitioned) and the governance models (staging → intermediate → facts → scorecard), partitioned by day. A run over a range of days
is one `dbt build` with the window passed as the vars `window_start` / `window_end`, so incremental models
process only that window, and the data tests of what the run rebuilds check that window (unless the run config
`full_table_tests` is set). A failed test's check shows its description and a sample of its failing rows.
"""


import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cache
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, Config
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines import settings
from pipelines.dbt_project import dbt_project, export_dbt_environment
from pipelines.ingestion.contracts import load_contracts
from pipelines.partitions import governance_daily_partitions
from pipelines.quality.dbt_test_failures import with_failure_details
from pipelines.quality.scorecard import scorecard_observations, source_contract_vars
from pipelines.warehouse import warehouse_lock

CITY_STANDARD = "resource_type:seed tag:city_standard"
# Every model but the standard's, and the sources' tests. Selected, not derived by excluding the seeds: excluding a
# seed would also exclude every test that references it (the facts' relationships to the standard's code sets).
GOVERNANCE = "resource_type:model source:*"
# dbt unit tests check logic, not data: they run in CI (tests/dbt), not in every production run.
UNIT_TESTS = "test_type:unit"
PLATFORM_OWNER = "team:city-data-platform"


class CityBrainTranslator(DagsterDbtTranslator):
    """Asset keys are `[schema, name]` (as BI tools see the tables); groups are department and layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_for_fqn(dbt_resource_props["resource_type"], dbt_resource_props["fqn"])

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """A department's models belong to the owner in its source contract; shared models to the platform team."""
        fqn = dbt_resource_props["fqn"]
        contract = load_contracts().get(fqn[2]) if len(fqn) > 3 else None
        return [contract.owner if contract else PLATFORM_OWNER]


def group_for_fqn(resource_type: str, fqn: list[str]) -> str:
    """`citybrain.staging.hotline_12345.stg_…` → `hotline_12345_staging`; marts and seeds keep their layer."""
    if resource_type == "seed":
        return "city_standard"
    layer = fqn[1]
    has_department_folder = layer in ("staging", "intermediate") and len(fqn) > 3
    return f"{fqn[2]}_{layer}" if has_department_folder else layer


class GovernanceBuildConfig(Config):
    full_table_tests: bool = False  # data tests check whole tables, not the run's window (a full build sets it)
    # rebuild every incremental model from all landed partitions, whatever the run's window (after the city
    # standard changed: the incremental models stop and say so)
    full_refresh: bool = False


def window_vars(context: AssetExecutionContext, full_table_tests: bool = False) -> str:
    """The run's dbt vars: its days (the time window's end is exclusive, the vars are inclusive dates), the scope
    of the data tests, and the sources the data-quality marts score (from the contracts)."""
    window = context.partition_time_window
    return json.dumps({
        "window_start": window.start.date().isoformat(),
        "window_end": (window.end - timedelta(days=1)).date().isoformat(),
        "full_table_tests": full_table_tests,
        "source_contracts": source_contract_vars(),
    }, ensure_ascii=False)


@cache
def dbt_manifest() -> dict[str, Any]:
    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=CITY_STANDARD,
    dagster_dbt_translator=CityBrainTranslator(),
    name="city_standard_dbt",
)
def city_standard_models(context: AssetExecutionContext, dbt: DbtCliResource):
    export_dbt_environment()
    with warehouse_lock(settings.warehouse_path()):
        # buildable: leave the facts' relationship tests to the seeds for the governance run, so the standard
        # also builds on an empty warehouse
        events = dbt.cli(["build", "--indirect-selection", "buildable"], context=context).stream()
        yield from with_failure_details(events, dbt_manifest(), settings.warehouse_path())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=GOVERNANCE,
    exclude=f"tag:city_standard {UNIT_TESTS}",
    dagster_dbt_translator=CityBrainTranslator(),
    partitions_def=governance_daily_partitions(),
    backfill_policy=BackfillPolicy.single_run(),
    name="governance_dbt",
)
def governance_models(context: AssetExecutionContext, dbt: DbtCliResource, config: GovernanceBuildConfig):
    export_dbt_environment()
    full_refresh = ["--full-refresh"] if config.full_refresh else []
    with warehouse_lock(settings.warehouse_path()):
        command = ["build", "--vars", window_vars(context, config.full_table_tests), *full_refresh]
        events = dbt.cli(command, context=context).stream()
        yield from with_failure_details(events, dbt_manifest(), settings.warehouse_path())
        yield from scorecard_observations()
